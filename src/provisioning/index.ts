export { type ProvisioningConfig, provision, provisionTenant } from './provision.js';
