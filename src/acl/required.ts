/**
 * Required-ACL construction for HTTP endpoints (acl.md §3): `auth.users.{user_uuid}.read` + path params.
 * Runs on every protected request, so templates are parsed once.
 */

export type RequiredAclRenderer = (params: Readonly<Record<string, string>>) => string;

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * A `.` inside a value would add a segment to the required access and could let it match entries meant
 * for other resources (`my.app` must stay one segment: `my_app`).
 */
function segmentValue(value: string): string {
  return value.replaceAll('.', '_');
}

/**
 * Parses `template` once. The renderer throws when a placeholder has no value: that is a route declaration
 * bug, and silently rendering something else would check the wrong permission.
 */
export function compileTemplate(template: string): RequiredAclRenderer {
  const literals: string[] = [];
  const names: string[] = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    literals.push(template.slice(last, match.index));
    names.push(match[1]!);
    last = match.index + match[0].length;
  }
  literals.push(template.slice(last));
  if (names.length === 0) return () => template;

  return (params) => {
    let out = literals[0]!;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const value = Object.hasOwn(params, name) ? params[name] : undefined;
      if (value === undefined) throw new Error(`required ACL template ${template}: no value for {${name}}`);
      out += segmentValue(value) + literals[i + 1]!;
    }
    return out;
  };
}

/** Templates come from route declarations, a small fixed set; the cap only guards against misuse. */
const CACHE_LIMIT = 1000;
const renderers = new Map<string, RequiredAclRenderer>();

export function renderRequiredAcl(template: string, params: Readonly<Record<string, string>>): string {
  let render = renderers.get(template);
  if (render === undefined) {
    render = compileTemplate(template);
    if (renderers.size >= CACHE_LIMIT) renderers.clear();
    renderers.set(template, render);
  }
  return render(params);
}
