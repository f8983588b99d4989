import { MemoryTokenStore } from '../lib';
import { describeTokenStoreContract } from './helpers/store-contract';

describeTokenStoreContract('MemoryTokenStore', async () => ({ store: new MemoryTokenStore(), close: async () => undefined }));
