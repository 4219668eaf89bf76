export { crc32c } from './crc32c.ts';
export { createSecretResolver, type SecretResolverOptions } from './resolver.ts';
export { createSecretManager, type SecretManager, type SecretManagerOptions } from './secret-manager.ts';
