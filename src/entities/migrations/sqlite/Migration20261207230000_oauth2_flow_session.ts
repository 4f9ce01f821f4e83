// The same statements on both dialects: SQLite adds a nullable column with its reference in place.
export { Migration20261207230000_oauth2_flow_session } from '../postgresql/Migration20261207230000_oauth2_flow_session.js';
