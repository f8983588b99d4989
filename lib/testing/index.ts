export {
  startFakeProvider,
  type FakeProvider,
  type FakeProviderBehaviour,
  type FakeProviderStats,
  type TokenEndpointFault,
  type ApiScriptStep,
} from './fake-provider';
export type { ApiStyle } from './api-styles';
export { startRedisServer, type RedisServer } from './redis-server';
export { tokenStoreContract, type TokenStoreContractCase, type OpenTokenStore } from './store-contract';
