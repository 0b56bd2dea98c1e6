/** Defaults of `eson dev` (shared/product/local-network.md). */
export const DEFAULT_DEV_DIR = '.eson-dev';
export const DEFAULT_PARTICIPANTS = ['orange', 'blue'] as const;
export const DEFAULT_BASE_PORT = 61000;
export const DEFAULT_DNS_PORT = 5300;
