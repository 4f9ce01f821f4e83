import { requireAcl } from '../authz/require-acl.js';
import { scopedSteps } from '../authz/scoped.js';
import { resolveScopingTenant } from '../authz/scoping-tenant.js';
import { errors, HttpError, type Json } from '../http/errors.js';
import { empty, type HttpRequest, type HttpResponse, json } from '../http/request.js';
import type { Route } from '../http/route.js';
import { field, firstError, length, type Schema, schema } from '../validation/index.js';
import { type Form, readForm } from './form.js';
import { buildServiceProvider } from './providers.js';
import type { Saml } from './service.js';
import { ConfigConflict, type StoredConfig } from './store.js';
import { InvalidXml, parseXml, withoutDeclaration } from './xml.js';

const text = (min: number, max: number) => field.string().validate(length({ min, max }));

/** The form fields, in upstream's order (the first failing one names the error). */
const CREATE = schema({
  domain_uuid: text(36, 38).required(),
  entity_id: text(1, 512).required(),
  acs_url: text(1, 512).required(),
});
const UPDATE = schema({
  domain_uuid: text(36, 38),
  entity_id: text(1, 512),
  acs_url: text(1, 512),
});

const configJson = (config: StoredConfig): Json => ({
  domain_uuid: config.domainUuid,
  entity_id: config.entityId,
  acs_url: config.acsUrl,
  tenant_uuid: config.tenantUuid,
});

const notFound = (tenantUuid: string) =>
  errors.unknownSamlConfig(404, `No such SAML config for tenant: "${tenantUuid}"`, {
    tenant_uuid: tenantUuid,
  });

/** Upstream reports the form's errors like list parameters (its quirk: `invalid-list-param`, `users`). */
function fields<O>(form: Form, formSchema: Schema<O>): O {
  const result = formSchema.load(Object.fromEntries(form.fields));
  if (result.ok) return result.value;
  const { message, details } = firstError(result.errors);
  throw errors.invalidListBody(details, message);
}

/** The `metadata` file part, as stored: undefined when the form has none and `required` is false. */
function metadataOf(form: Form, required: boolean): string | undefined {
  const file = form.files.get('metadata');
  if (!file) {
    if (required) throw errors.unknownSamlConfig(400, 'No metadata file provided');
    return undefined;
  }
  if (file.filename === '') throw errors.unknownSamlConfig(400, 'Empty metadata file provided');
  const text = file.data.toString('utf8');
  try {
    parseXml(text);
  } catch (error) {
    const reason = error instanceof InvalidXml ? error.message : 'unreadable';
    throw errors.unknownSamlConfig(400, `Invalid XML (${reason})`);
  }
  return withoutDeclaration(text);
}

/**
 * The per-tenant SAML configuration API (saml.md §2) under `/backends/saml`, and ours:
 * `GET /backends/saml/sp_metadata`, the SP metadata to hand to the IdP administrator.
 */
export function samlConfigRoutes(saml: Saml): Route[] {
  const { orm, tokens, hierarchy, config } = saml.deps;
  if (config.enabled_http_plugins.saml_config === false) return [];
  const { configs, log } = saml;
  const scoped = scopedSteps(tokens, resolveScopingTenant(orm, hierarchy));
  const tenantOf = (request: HttpRequest) => request.locals.tenantUuid!;

  /** Failures upstream does not foresee are its 500 `unknown-saml-config`, not a bare crash. */
  const guarded =
    (handle: (request: HttpRequest) => Promise<HttpResponse>) =>
    async (request: HttpRequest): Promise<HttpResponse> => {
      try {
        return await handle(request);
      } catch (error) {
        if (error instanceof HttpError) throw error;
        log.error({ err: error }, 'SAML configuration request failed');
        throw errors.unknownSamlConfig(500, 'Unexpected error while handling the SAML configuration');
      }
    };

  const checkDomain = async (domainUuid: string, tenantUuid: string) => {
    if (!(await configs.isDomainOf(domainUuid, tenantUuid)))
      throw errors.unknownSamlConfig(400, 'Domain not from tenant');
  };

  return [
    {
      method: 'GET',
      path: '/backends/saml',
      steps: scoped('auth.backends.saml.read'),
      handle: guarded(async (request) => {
        const stored = await configs.get(tenantOf(request));
        if (!stored) throw notFound(tenantOf(request));
        return json(configJson(stored));
      }),
    },
    {
      method: 'POST',
      path: '/backends/saml',
      rawBody: true,
      summary: 'Create the SAML configuration of the tenant (multipart/form-data with a `metadata` file)',
      steps: scoped('auth.backends.saml.create'),
      handle: guarded(async (request) => {
        const tenantUuid = tenantOf(request);
        const form = readForm(request.rawBody!, request.headers['content-type']);
        const body = fields(form, CREATE);
        const idpMetadata = metadataOf(form, true)!;
        await checkDomain(body.domain_uuid, tenantUuid);
        try {
          const created = await configs.create({
            tenantUuid,
            domainUuid: body.domain_uuid,
            entityId: body.entity_id,
            acsUrl: body.acs_url,
            idpMetadata,
          });
          return json(configJson(created));
        } catch (error) {
          if (!(error instanceof ConfigConflict)) throw error;
          throw errors.conflict('saml_config', {
            tenant_uuid: { constraint_id: 'unique', message: 'The tenant already has a SAML configuration' },
          });
        }
      }),
    },
    {
      method: 'PUT',
      path: '/backends/saml',
      rawBody: true,
      summary: 'Change the SAML configuration of the tenant: only the fields (and file) sent',
      steps: scoped('auth.backends.saml.update'),
      handle: guarded(async (request) => {
        const tenantUuid = tenantOf(request);
        if (!(await configs.get(tenantUuid))) throw notFound(tenantUuid);
        const form = readForm(request.rawBody!, request.headers['content-type']);
        const body = fields(form, UPDATE);
        const idpMetadata = metadataOf(form, false);
        if (body.domain_uuid !== undefined) await checkDomain(body.domain_uuid, tenantUuid);
        const updated = await configs.update(tenantUuid, {
          ...(body.domain_uuid !== undefined ? { domainUuid: body.domain_uuid } : {}),
          ...(body.entity_id !== undefined ? { entityId: body.entity_id } : {}),
          ...(body.acs_url !== undefined ? { acsUrl: body.acs_url } : {}),
          ...(idpMetadata !== undefined ? { idpMetadata } : {}),
        });
        if (!updated) throw notFound(tenantUuid);
        return json(configJson(updated));
      }),
    },
    {
      method: 'DELETE',
      path: '/backends/saml',
      steps: scoped('auth.backends.saml.delete'),
      handle: guarded(async (request) => {
        await configs.delete(tenantOf(request));
        return empty(204);
      }),
    },
    {
      method: 'GET',
      path: '/backends/saml/metadata',
      summary: "The IdP metadata of the tenant's SAML configuration",
      steps: scoped('auth.backends.saml.read'),
      handle: guarded(async (request) => {
        const stored = await configs.get(tenantOf(request));
        if (!stored) throw notFound(tenantOf(request));
        return {
          status: 200,
          raw: { contentType: 'application/xml', text: stored.idpMetadata },
          headers: { 'Content-Disposition': 'attachment; filename="metadata.xml"' },
        };
      }),
    },
    {
      method: 'GET',
      path: '/backends/saml/sp_metadata',
      summary: "This server's SP metadata for the tenant's SAML configuration, for the IdP administrator",
      steps: scoped('auth.backends.saml.read'),
      handle: guarded(async (request) => {
        const stored = await configs.get(tenantOf(request));
        if (!stored) throw notFound(tenantOf(request));
        const credentials = saml.credentials();
        if (!credentials)
          throw errors.unknownSamlConfig(
            500,
            'The SP key pair (saml.key_file, saml.cert_file) is unavailable',
          );
        return {
          status: 200,
          raw: {
            contentType: 'application/xml',
            text: buildServiceProvider(stored, credentials).getMetadata(),
          },
          headers: { 'Content-Disposition': 'attachment; filename="sp-metadata.xml"' },
        };
      }),
    },
    {
      method: 'GET',
      path: '/backends/saml/acs_url_template',
      steps: [requireAcl(tokens, 'auth.backends.saml.read')],
      handle: async () => json({ acs_url: config.saml.acs_url_template }),
    },
  ];
}
