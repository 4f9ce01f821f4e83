import { z } from 'zod';
import { parseHostPort } from '../hosts/host-port.js';

/*
 * The configuration schema. Key names are upstream wazo-auth's (config.yml) wherever upstream has the
 * setting, so an operator's existing configuration keeps its meaning; keys that only this server has
 * are marked "ours". Defaults follow ../shared/spec/running.md where it differs from upstream.
 */

const port = z.number().int().min(0).max(65535);
const positiveSeconds = z.number().nonnegative();

const restApi = z
  .object({
    listen: z.string().min(1).default('127.0.0.1'),
    port: port.default(9497),
    num_proxies: z.number().int().nonnegative().default(1),
    max_threads: z.number().int().positive().default(25),
    // ours: upstream has no body limit; a bounded read is what keeps one request from exhausting memory.
    max_body_size: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    certificate: z.string().min(1).nullable().default(null),
    private_key: z.string().min(1).nullable().default(null),
    cors: z
      .object({
        enabled: z.boolean().default(true),
        allow_headers: z
          .array(z.string())
          .default(['Content-Type', 'Authorization', 'X-Auth-Token', 'Wazo-Tenant', 'Wazo-Session-Type']),
      })
      .loose()
      .prefault({}),
  })
  .loose()
  .prefault({});

const amqp = z
  .object({
    // Unset means no broker: the bus is off (running.md), unlike upstream which always connects.
    uri: z.string().min(1).nullable().default(null),
    exchange_name: z.string().min(1).default('xivo'),
    exchange_type: z.string().min(1).default('topic'),
    // ours: the AMQP events leave in. `auto` asks the broker: 0-9-1 (real headers, what wazo-bus
    // consumers bind on) unless it is a RabbitMQ 4 or later, whose AMQP 1.0 maps properties to headers.
    protocol: z.enum(['auto', '0-9-1', '1.0']).default('auto'),
  })
  .loose()
  .prefault({});

const smtp = z
  .object({
    hostname: z.string().min(1).default('localhost'),
    port: port.default(25),
    // ours: upstream sends in plain text without authentication; these are off unless configured.
    username: z.string().nullable().default(null),
    password: z.string().nullable().default(null),
    starttls: z.boolean().default(false),
    // seconds; upstream's 4 s keeps a dead relay from outlasting the HTTP client's own timeout.
    timeout: z.number().positive().default(4),
  })
  .loose()
  .prefault({});

// A template path; null means upstream's packaged file when present, else the one shipped in templates/.
const templatePath = z.string().min(1).nullable().default(null);
// Lands verbatim in a From header and in MAIL FROM: a bare address (the rule of src/mail/message.ts), so that
// a configuration the mails cannot use is refused at start-up rather than at every mail.
const mailAddress = z
  .string()
  .regex(
    /^[^\s\p{Cc}<>()[\],;:\\"@]+@[^\s\p{Cc}<>()[\],;:\\"@]+$/u,
    'must be a bare address, e.g. noreply@example.com',
  );
// Lands verbatim in a Content-Type header.
const mimeType = z.string().regex(/^[\w.+-]+\/[\w.+-]+$/, 'must be a MIME type, e.g. text/html');

// `host` or `host:port`, IPv6 in brackets: no scheme, path or credentials.
const hostEntry = z
  .string()
  .refine((value) => parseHostPort(value) !== null, 'must be host or host:port, e.g. pbx.example.com:443');

const logLevel = z.enum(['debug', 'info', 'warning', 'error', 'critical']);

const purpose = z.enum(['user', 'internal', 'external_api']);

const policyDefinition = z
  .object({ acl: z.array(z.string()).default([]), description: z.string().nullable().optional() })
  .loose();

const groupDefinition = z.object({ policies: z.record(z.string(), z.boolean()).default({}) }).loose();

/**
 * An OAuth2 provider of the "connect your account" external auth types (external-auth.md §2). Upstream
 * ships these values only in its packaged config file; here they are defaults. `issuer`, `pkce`,
 * `token_endpoint_auth_method` and `timeout` are ours.
 */
const oauth2Provider = (defaults: {
  authorization_base_url: string;
  token_url: string;
  redirect_uri: string;
  scope: string[];
  issuer: string;
}) =>
  z
    .object({
      authorization_base_url: z.url().default(defaults.authorization_base_url),
      token_url: z.url().default(defaults.token_url),
      redirect_uri: z.url().default(defaults.redirect_uri),
      scope: z.array(z.string().min(1)).default(defaults.scope),
      // null: no relay; the provider redirects to this server's own `/external/<type>/authorize`.
      websocket_host: z.string().min(1).nullable().default('wss://oauth.wazo.io'),
      // ours: the `iss` a provider may add to its redirect (RFC 9207) is checked against it.
      issuer: z.url().default(defaults.issuer),
      // ours: off by default, as upstream's authorization URL carries no code challenge.
      pkce: z.boolean().default(false),
      token_endpoint_auth_method: z
        .enum(['client_secret_post', 'client_secret_basic'])
        .default('client_secret_post'),
      // ours: seconds a provider has to answer a token request.
      timeout: z.number().positive().default(10),
    })
    .loose()
    .prefault({});

/**
 * The SAML service provider (saml.md §1). Missing key or certificate files make SAML login unavailable
 * (logged at start) rather than stopping the server: upstream's default paths exist only once its
 * package generated them. `xmlsec_binary`, `xml_files_dir` and `domains` are pysaml2's and accepted unused.
 */
const saml = z
  .object({
    key_file: z.string().min(1).default('/var/lib/wazo-auth/saml/server.key'),
    cert_file: z.string().min(1).default('/var/lib/wazo-auth/saml/server.crt'),
    saml_session_lifetime_seconds: z.number().int().positive().default(604800),
    saml_login_timeout_seconds: z.number().int().positive().default(600),
    acs_url_template: z.string().min(1).default('https://{{STACK_URL}}/api/auth/0.1/saml/acs'),
  })
  .loose()
  .prefault({});

// idp.md §4: a plugin whose `enabled` is missing is off, a missing priority counts as 100.
const idpPlugin = z
  .object({ enabled: z.boolean().default(false), priority: z.number().int().default(100) })
  .loose();

export const configSchema = z
  .object({
    debug: z.boolean().default(false),
    log_level: logLevel.default('info'),
    profiling_enabled: z.boolean().default(false),
    // XIVO_UUID: any non-empty text, used verbatim (upstream's integration tests run with
    // `the-predefined-xivo-uuid`). At most 38 characters: every token stores it in auth_token.xivo_uuid,
    // varchar(38) as upstream's, where a longer value would fail each login on PostgreSQL.
    uuid: z
      .string()
      .min(1, 'must not be empty')
      .max(38, 'must be at most 38 characters (stored with every token)')
      .nullable()
      .default(null),
    db_uri: z.string().min(1).default('sqlite:./data/wazo-auth.db'),
    db_connect_retry_timeout_seconds: positiveSeconds.default(300),
    // ours: worker processes of the cluster layer (src/cluster); 1 runs everything in this process.
    workers: z.number().int().min(1).max(64).default(1),
    rest_api: restApi,
    // ours: the built-in WebSocket push (src/push). null: as many connections as the process's open-files
    // limit allows, keeping a reserve for the database, the broker and HTTP.
    websocket: z
      .object({ max_connections: z.number().int().positive().nullable().default(null) })
      .loose()
      .prefault({}),
    // ours: Prometheus metrics. `GET /0.1/metrics` (ACL auth.metrics.read) is always served; `listen` set
    // also serves them without authentication at `http://listen:port/metrics`, for a scraper on a private
    // network that holds no token. Off by default: metrics tell who is busy, and this port has no TLS.
    metrics: z
      .object({
        listen: z.string().min(1).nullable().default(null),
        port: port.default(9597),
      })
      .loose()
      .prefault({}),
    amqp,
    smtp,
    default_token_lifetime: z.number().int().positive().default(7200),
    token_cleanup_interval: positiveSeconds.default(60),
    token_cleanup_batch_size: z.number().int().positive().default(5000),
    max_user_concurrent_sessions: z.number().int().positive().default(100),
    default_user_policy: z.string().min(1).nullable().default(null),
    backend_policies: z.record(z.string(), z.string()).default({}),
    default_policies: z.record(z.string(), policyDefinition).default({}),
    all_users_policies: z.record(z.string(), z.boolean()).default({}),
    tenant_default_groups: z.record(z.string(), groupDefinition).default({}),
    update_policy_on_startup: z.boolean().default(true),
    bootstrap_user_on_startup: z.boolean().default(false),
    bootstrap_user_username: z.string().min(1).nullable().default(null),
    bootstrap_user_password: z.string().min(1).nullable().default(null),
    bootstrap_user_purpose: purpose.default('internal'),
    bootstrap_user_policy_slug: z.string().min(1).default('wazo_default_master_user_policy'),
    enabled_backend_plugins: z.record(z.string(), z.boolean()).default({ wazo_user: true, ldap_user: true }),
    enabled_http_plugins: z.record(z.string(), z.boolean()).default({}),
    idp_plugins: z.record(z.string(), idpPlugin).default({
      saml: { enabled: true, priority: 1 },
      ldap: { enabled: true, priority: 2 },
    }),
    enabled_external_auth_plugins: z
      .record(z.string(), z.boolean())
      .default({ google: true, microsoft: true, mobile: true }),
    oauth2_synchronization_ws_url_template: z.string().min(1).default('wss://oauth.wazo.io/ws/{state}'),
    oauth2_synchronization_redirect_url_template: z
      .string()
      .min(1)
      .default('https://oauth.wazo.io/{auth_type}/authorize'),
    // ours: how long an OAuth2 authorization started by POST /users/{uuid}/external/<type> may take; past
    // it the relay connection closes and the state is refused.
    oauth2_flow_timeout: positiveSeconds.default(600),
    google: oauth2Provider({
      authorization_base_url: 'https://accounts.google.com/o/oauth2/v2/auth',
      token_url: 'https://www.googleapis.com/oauth2/v4/token',
      redirect_uri: 'https://oauth.wazo.io/google/authorize',
      scope: ['https://www.googleapis.com/auth/userinfo.profile', 'https://www.googleapis.com/auth/contacts'],
      issuer: 'https://accounts.google.com',
    }),
    microsoft: oauth2Provider({
      authorization_base_url: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
      token_url: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
      redirect_uri: 'https://oauth.wazo.io/microsoft/authorize',
      scope: ['offline_access', 'Contacts.Read'],
      issuer: 'https://login.microsoftonline.com',
    }),
    saml,
    purpose_metadata_mapping: z
      .record(purpose, z.array(z.string()))
      .default({ user: [], internal: [], external_api: [] }),
    // emails-and-password-reset.md §1. `log` is ours: logs each mail instead of sending it.
    email_notification_plugin: z.enum(['smtp', 'log']).default('smtp'),
    email_confirmation_expiration: z.number().int().positive().default(172800),
    email_confirmation_template: templatePath,
    email_confirmation_subject_template: templatePath,
    email_confirmation_from_name: z.string().default('wazo-auth'),
    email_confirmation_from_address: mailAddress.default('noreply@wazo.community'),
    email_confirmation_get_response_body_template: templatePath,
    email_confirmation_get_mimetype: mimeType.default('text/html'),
    password_reset_expiration: z.number().int().positive().default(172800),
    password_reset_email_template: templatePath,
    password_reset_email_subject_template: templatePath,
    password_reset_from_name: z.string().default('wazo-auth'),
    password_reset_from_address: mailAddress.default('noreply@wazo.community'),
    // ours: the hosts this platform is reached at (`host` or `host:port`; without a port, any port of the
    // host). Mail links keep a request's Host only when it is one of these or a domain of the user's
    // tenant, and point to the first of these otherwise (none: the machine's hostname); redirects (SAML
    // `redirect_url`) go only to these and the tenant's domains. Upstream builds links from any Host.
    public_hosts: z.array(hostEntry).default([]),
    // ours: at most `mails` confirmation or password reset mails per user and per address, refilled
    // evenly over `window_seconds`; past it a reset request still answers 204 but sends nothing, a
    // confirmation request answers 429. Counters live in memory, at most `max_entries` keys of each kind.
    mail_throttle: z
      .object({
        enabled: z.boolean().default(true),
        mails: z.number().int().positive().default(5),
        window_seconds: z.number().positive().default(3600),
        max_entries: z.number().int().positive().default(100_000),
      })
      .loose()
      .prefault({}),
    // ours: failed-login throttling (src/throttle): per username, exponential back-off after `failures`
    // consecutive failures; per client address, a bucket of `failures` draining over `window_seconds`.
    login_throttle: z
      .object({
        enabled: z.boolean().default(true),
        max_entries: z.number().int().positive().default(100_000),
        username: z
          .object({
            failures: z.number().int().positive().default(10),
            window_seconds: z.number().positive().default(300),
            backoff_seconds: z.number().positive().default(1),
            max_backoff_seconds: z.number().positive().default(900),
          })
          .loose()
          .prefault({}),
        address: z
          .object({
            failures: z.number().int().positive().default(100),
            window_seconds: z.number().positive().default(120),
          })
          .loose()
          .prefault({}),
      })
      .loose()
      .prefault({}),
    // ours: the whole of a graceful stop (SIGTERM): HTTP drain, outbox flush, database close. Past it the
    // process exits anyway, with status 1.
    shutdown_timeout: positiveSeconds.default(10),
  })
  .loose()
  .superRefine((config, ctx) => {
    if (config.bootstrap_user_on_startup) {
      for (const key of ['bootstrap_user_username', 'bootstrap_user_password'] as const) {
        if (!config[key]) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: 'required when bootstrap_user_on_startup is true',
          });
        }
      }
    }
    const { certificate, private_key } = config.rest_api;
    if ((certificate === null) !== (private_key === null)) {
      ctx.addIssue({
        code: 'custom',
        path: ['rest_api', certificate === null ? 'certificate' : 'private_key'],
        message: 'TLS needs both rest_api.certificate and rest_api.private_key',
      });
    }
  });

export type Config = z.output<typeof configSchema>;
export type OAuth2ProviderConfig = Config['google'];
