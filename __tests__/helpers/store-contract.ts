import { tokenStoreContract, type OpenTokenStore } from 'axios-token-flight/testing';

/** The shipped contract suite (`axios-token-flight/testing`), as a jest `describe`. */
export function describeTokenStoreContract(name: string, open: OpenTokenStore): void {
  describe(`${name} honours the TokenStore contract`, () => {
    for (const contractCase of tokenStoreContract(open)) it(contractCase.name, contractCase.run);
  });
}
