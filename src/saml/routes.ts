import type { SamlSession } from '../entities/index.js';
import { redirectHost } from '../hosts/index.js';
import { errors, type Json } from '../http/errors.js';
import { type HttpResponse, json } from '../http/request.js';
import type { Route } from '../http/route.js';
import { ForeignResponse, RejectedResponse, validateResponse } from './assertion.js';
import { readForm } from './form.js';
import {
  isDomainName,
  newRelayState,
  newSessionId,
  relayStateOf,
  withQueryParameter,
} from './identifiers.js';
import { buildServiceProvider, type SamlPeer } from './providers.js';
import type { Saml } from './service.js';
import { NS } from './xml.js';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const contextNotFound = () => errors.samlProcessingError(404, 'Context not found');

const redirect = (location: string): HttpResponse => ({ status: 302, headers: { Location: location } });

const keyOf = (session: SamlSession) => ({ requestId: session.requestId, sessionId: session.sessionId });

/** A `redirect_url` the server will not send a browser to: saml.md §4.1's 400 for the field. */
const invalidRedirect = () => errors.invalidData('saml', {}, 'redirect_url');

/**
 * `POST /saml/sso`: the first missing or invalid field, by name (`redirect_url` first). A `redirect_url`
 * must be an absolute http(s) URL (upstream takes any text); whose host it names is checked once the
 * domain's tenant is known.
 */
function ssoRequest(body: Json | undefined): { redirectUrl: string; domain: string } {
  const data = body && typeof body === 'object' && !Array.isArray(body) ? body : {};
  const redirectUrl = data.redirect_url;
  if (typeof redirectUrl !== 'string' || redirectHost(redirectUrl) === null) throw invalidRedirect();
  const domain = data.domain;
  if (typeof domain !== 'string' || !isDomainName(domain)) throw errors.invalidData('saml', {}, 'domain');
  return { redirectUrl, domain };
}

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** An XML attribute, left out when it has no value. */
const xmlAttribute = (name: string, value: string | null) =>
  value === null ? '' : ` ${name}="${escapeXml(value)}"`;

/**
 * The browser SSO endpoints (saml.md §4, §5): `POST /saml/sso`, `POST /saml/acs`, `GET /saml/logout`,
 * `GET /saml/sls`. No token is needed, except the one logout ends.
 */
export function samlRoutes(saml: Saml): Route[] {
  const { config, tokens, refreshTokens } = saml.deps;
  if (config.enabled_http_plugins.saml === false) return [];
  const { sessions, configs, log } = saml;

  /**
   * The ACS's work once the session is found: the assertion recorded and true, or false when the Response
   * is refused (the session is then deleted).
   */
  async function consume(session: SamlSession, samlResponse: string): Promise<boolean> {
    const now = Date.now();
    const refuse = async (reason: string, error?: unknown) => {
      log.info({ reason, err: error, domain: session.domain }, 'SAML response refused');
      await sessions.delete(keyOf(session));
      return false;
    };
    // A login completed, used or logging out has no outstanding request: a Response for it is a replay.
    if (session.login !== null || session.used || session.logoutRequestId !== null)
      return refuse('no outstanding request');
    const started = session.startTime?.getTime() ?? 0;
    if (started + saml.settings.saml_login_timeout_seconds * 1000 < now) return refuse('login timed out');
    const stored = await configs.byDomainName(session.domain);
    if (!stored) return refuse('no SAML configuration for the domain any more');
    let peer: SamlPeer;
    try {
      peer = saml.peers.of(stored);
    } catch (error) {
      log.error({ err: error, domain: session.domain }, 'SAML configuration unusable');
      return refuse('configuration unusable');
    }
    try {
      const asserted = await validateResponse(peer, samlResponse, {
        requestId: session.requestId,
        now,
        isPendingRequest: async (id) => (await sessions.byRequestId(id))?.login === null,
      });
      if (!(await sessions.complete(keyOf(session), asserted))) return refuse('completed concurrently');
      return true;
    } catch (error) {
      if (error instanceof RejectedResponse) return refuse(error.message);
      throw error;
    }
  }

  /** A signed LogoutRequest towards the IdP, or null when there is no IdP session to end there. */
  async function logoutRequest(
    session: SamlSession,
  ): Promise<{ url: string; id: string; relayState: string } | null> {
    if (!session.samlNameId) return null;
    const stored = await configs.byDomainName(session.domain);
    if (!stored) return null;
    if (!saml.credentials()) {
      log.warn({ domain: session.domain }, 'SAML logout kept local: the SP key pair is unavailable');
      return null;
    }
    let peer: SamlPeer;
    try {
      peer = saml.peers.of(stored);
    } catch (error) {
      log.error({ err: error, domain: session.domain }, 'SAML configuration unusable');
      return null;
    }
    if (!peer.idpLogoutUrl) return null;
    const relayState = newRelayState();
    const nameId = session.samlNameId;
    // samlify's template has no NameQualifier/SPNameQualifier and uses the SP's format, but the IdP must get
    // the NameID exactly as it asserted it (saml-core §3.7.1).
    const build = (_template: string, tags: Record<string, string>) => ({
      id: tags.ID!,
      context:
        `<samlp:LogoutRequest xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}"` +
        `${xmlAttribute('ID', tags.ID!)} Version="2.0"${xmlAttribute('IssueInstant', tags.IssueInstant!)}` +
        `${xmlAttribute('Destination', tags.Destination!)}><saml:Issuer>${escapeXml(tags.Issuer!)}</saml:Issuer>` +
        `<saml:NameID${xmlAttribute('Format', session.nameIdFormat)}${xmlAttribute('NameQualifier', session.nameQualifier)}` +
        `${xmlAttribute('SPNameQualifier', session.spNameQualifier)}>${escapeXml(nameId)}</saml:NameID>` +
        (session.sessionIndex
          ? `<samlp:SessionIndex>${escapeXml(session.sessionIndex)}</samlp:SessionIndex>`
          : '') +
        '</samlp:LogoutRequest>',
    });
    try {
      const request = peer.sp.createLogoutRequest(
        peer.idp,
        'redirect',
        { logoutNameID: nameId },
        {
          relayState,
          customTagReplacement: build as unknown as (template: string) => { id: string; context: string },
        },
      );
      return { url: request.context, id: request.id, relayState };
    } catch (error) {
      log.error(
        { err: error, domain: session.domain },
        'SAML LogoutRequest cannot be built; logout kept local',
      );
      return null;
    }
  }

  return [
    {
      method: 'POST',
      path: '/saml/sso',
      readsBody: true,
      summary: 'Start a SAML login: the IdP URL to send the browser to',
      async handle(request) {
        const { redirectUrl, domain } = ssoRequest(request.body);
        const stored = await configs.byDomainName(domain);
        if (!stored || !saml.credentials()) throw errors.samlConfigurationError(domain);
        if (!(await saml.ownsRedirect(redirectUrl, stored.tenantUuid))) throw invalidRedirect();
        const peer = saml.peer(stored, domain);
        const sessionId = newSessionId();
        const relayState = relayStateOf(sessionId);
        let login: { id: string; context: string };
        try {
          login = peer.sp.createLoginRequest(peer.idp, 'redirect', { relayState });
        } catch (error) {
          log.error({ err: error, domain }, 'SAML AuthnRequest cannot be built');
          throw errors.samlConfigurationError(domain);
        }
        await sessions.create({ requestId: login.id, sessionId, redirectUrl, domain, relayState });
        return json({ location: login.context, saml_session_id: sessionId });
      },
    },
    {
      method: 'POST',
      path: '/saml/acs',
      rawBody: true,
      summary: 'SAML assertion consumer service (HTTP-POST binding)',
      async handle(request) {
        const form = readForm(request.rawBody ?? Buffer.alloc(0), request.headers['content-type']);
        const samlResponse = form.fields.get('SAMLResponse');
        const relayState = form.fields.get('RelayState');
        if (!samlResponse || !relayState)
          throw errors.invalidData('saml', {}, 'RelayState and/or SAMLResponse');
        const session = await sessions.byRelayState(relayState);
        if (!session) throw contextNotFound();
        // Checked again at each redirect: the row may predate the check (an import, an upgrade) or the
        // domain may have left the tenant since. A login that cannot be returned to is not completed.
        if (!(await saml.ownsSessionRedirect(session))) {
          await sessions.delete(keyOf(session));
          throw invalidRedirect();
        }
        try {
          if (await consume(session, samlResponse)) return redirect(session.redirectUrl);
        } catch (error) {
          if (error instanceof ForeignResponse) throw contextNotFound();
          log.error({ err: error }, 'SAML response processing failed');
          throw errors.samlProcessingError(500, 'Unexpected error');
        }
        return redirect(withQueryParameter(session.redirectUrl, 'login_failure_code=500'));
      },
    },
    {
      method: 'GET',
      path: '/saml/logout',
      summary: 'End a SAML login: revoke the token, then the IdP URL to send the browser to',
      async handle(request) {
        const presented = request.headers['x-auth-token'] || request.query.get('token') || '';
        const token = UUID.test(presented)
          ? (tokens.cache.peek(presented) ?? (await tokens.find(presented)))
          : null;
        if (!token) throw errors.noSuchToken();
        // A token with no refresh token never matches (upstream compares null with null).
        const refreshToken = token.record.refreshTokenUuid;
        const session = refreshToken ? await sessions.forLogout(refreshToken) : null;
        if (!refreshToken || !session) throw contextNotFound();
        // The logout happens whatever the redirect: only the way back to the application is refused.
        const owned = await saml.ownsSessionRedirect(session);
        const logout = await logoutRequest(session);
        // Every token the SAML login's refresh token minted ends with it, the one presented first.
        const minted = await refreshTokens.mintedTokens(refreshToken);
        for (const uuid of new Set([token.record.token, ...minted])) await tokens.revoke(uuid);
        await refreshTokens.delete({ uuid: refreshToken });
        if (!logout) {
          await sessions.delete(keyOf(session));
          if (!owned) throw invalidRedirect();
          return json({ location: withQueryParameter(session.redirectUrl, 'logged_out=true') });
        }
        await sessions.loggingOut(keyOf(session), logout.relayState, logout.id);
        return json({ location: logout.url });
      },
    },
    {
      method: 'GET',
      path: '/saml/sls',
      summary: 'SAML single logout return (LogoutResponse, HTTP-Redirect binding)',
      async handle(request) {
        // Upstream answers 500 to every failure here; a bad or unknown response is the client's (4xx),
        // only an unusable configuration is the server's.
        const failed = (reason: string, status = 400) =>
          errors.samlProcessingError(status, `Unable to process logout request response (${reason})`);
        // Base64 has no space: a `+` the IdP left unencoded was read as one.
        const param = (name: string) => request.query.get(name)?.replace(/ /g, '+') ?? null;
        const samlResponse = param('SAMLResponse');
        const relayState = request.query.get('RelayState');
        if (!samlResponse || !relayState) throw failed('SAMLResponse and RelayState are required');
        const session = await sessions.byRelayState(relayState);
        if (!session?.logoutRequestId) throw failed('Context not found', 404);
        const stored = await configs.byDomainName(session.domain);
        if (!stored) throw failed('no SAML configuration for the domain', 500);
        let peer: SamlPeer;
        try {
          peer = saml.peers.of(stored);
        } catch (error) {
          log.error({ err: error, domain: session.domain }, 'SAML configuration unusable');
          throw failed('configuration unusable', 500);
        }
        const sigAlg = request.query.get('SigAlg');
        const signature = param('Signature');
        // An IdP signing its LogoutResponse must sign it right; an unsigned one is accepted, as the tokens
        // were already revoked when the logout started.
        const signed = sigAlg !== null && signature !== null;
        const sp = signed ? buildServiceProvider(stored, saml.credentials(), true) : peer.sp;
        // The signed octets (saml-bindings §3.4.4.1), re-encoded: the raw query is not kept.
        const octetString = [
          `SAMLResponse=${encodeURIComponent(samlResponse)}`,
          `RelayState=${encodeURIComponent(relayState)}`,
          ...(signed ? [`SigAlg=${encodeURIComponent(sigAlg)}`] : []),
        ].join('&');
        const query: Record<string, string> = { SAMLResponse: samlResponse, RelayState: relayState };
        if (signed) Object.assign(query, { SigAlg: sigAlg, Signature: signature });
        let inResponseTo: unknown;
        try {
          const parsed = await sp.parseLogoutResponse(peer.idp, 'redirect', { query, octetString });
          inResponseTo = (parsed.extract.response as Record<string, unknown> | undefined)?.inResponseTo;
        } catch (error) {
          throw failed(error instanceof Error ? error.message : String(error));
        }
        if (inResponseTo !== session.logoutRequestId)
          throw failed('InResponseTo is not the LogoutRequest sent');
        await sessions.delete(keyOf(session));
        if (!(await saml.ownsSessionRedirect(session))) throw invalidRedirect();
        return redirect(withQueryParameter(session.redirectUrl, 'logged_out=true'));
      },
    },
  ];
}
