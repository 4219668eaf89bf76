export { createServiceAccounts } from './service-accounts.ts';
