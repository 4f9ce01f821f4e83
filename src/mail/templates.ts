import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import { ConfigError } from '../config/load.js';
import type { Logger } from '../log/logger.js';

/** Where upstream's package installs its templates: an operator's edited copies there keep working. */
export const UPSTREAM_TEMPLATE_DIR = '/var/lib/wazo-auth/templates';

/** The templates this server ships, used when upstream's are absent. */
export const SHIPPED_TEMPLATE_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

/** Each template's configuration key and upstream file name (emails-and-password-reset.md §1, §5). */
export const TEMPLATE_KEYS = {
  email_confirmation_template: 'email_confirmation',
  email_confirmation_subject_template: 'email_confirmation_subject',
  email_confirmation_get_response_body_template: 'email_confirmation_get_body',
  password_reset_email_template: 'password_reset_email',
  password_reset_email_subject_template: 'password_reset_email_subject',
} as const;

export type TemplateKey = keyof typeof TEMPLATE_KEYS;

export interface TemplateDirs {
  upstream?: string;
  shipped?: string;
}

/** The file a template key names: the configured path, else upstream's file if present, else ours. */
export function templatePath(key: TemplateKey, configured: string | null, dirs: TemplateDirs = {}): string {
  if (configured !== null) return configured;
  const file = `${TEMPLATE_KEYS[key]}.jinja`;
  const upstream = join(dirs.upstream ?? UPSTREAM_TEMPLATE_DIR, file);
  return existsSync(upstream) ? upstream : join(dirs.shipped ?? SHIPPED_TEMPLATE_DIR, file);
}

/** The part of nunjucks' runtime that prints a `{{ … }}` value (not in nunjucks' type definitions). */
interface OutputRuntime {
  suppressValue(value: unknown, autoescape: boolean): unknown;
}

/** The function a compiled template renders with, given the runtime its output goes through. */
type RootRender = (
  env: unknown,
  context: unknown,
  frame: unknown,
  runtime: unknown,
  callback: unknown,
) => void;

/**
 * What Jinja prints for a value that JavaScript would print differently: Python's `None`, `True` and
 * `False` (nunjucks prints null as nothing and booleans in lower case). Anything else, an undefined
 * variable included (nothing, in both), is left to nunjucks.
 */
export function jinjaValue(value: unknown): unknown {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  return value;
}

const nunjucksRuntime = (nunjucks as unknown as { runtime: OutputRuntime }).runtime;

/**
 * nunjucks' runtime with Jinja's printing of values: every `{{ … }}` output goes through suppressValue,
 * which then escapes (or not) exactly as before, so `None` is escaped like any other text. The process-wide
 * runtime is left as it is; only the templates compiled here are given this one.
 */
const jinjaRuntime: OutputRuntime = Object.assign(Object.create(nunjucksRuntime) as OutputRuntime, {
  suppressValue: (value: unknown, autoescape: boolean) =>
    nunjucksRuntime.suppressValue(jinjaValue(value), autoescape),
});

/** Jinja's spellings of the constants nunjucks only knows in lower case, and its `none` test. */
function jinjaEnvironment(autoescape: boolean): nunjucks.Environment {
  const env = new nunjucks.Environment([], { autoescape });
  env.addGlobal('None', null).addGlobal('True', true).addGlobal('False', false);
  // addTest is nunjucks API missing from its type definitions.
  (env as unknown as { addTest(name: string, test: (value: unknown) => boolean): void }).addTest(
    'none',
    (value) => value === null,
  );
  return env;
}

// The mails are text/plain: escaping would turn a username like `a&b` into `a&amp;b`. Upstream's Jinja
// environment escapes nothing; the HTML page escapes, which changes nothing for its empty context but
// keeps an operator's template that prints a variable safe.
const textEnvironment = jinjaEnvironment(false);
const htmlEnvironment = jinjaEnvironment(true);

/**
 * Compiles `source` so that it prints values as Jinja does (`jinjaValue`). nunjucks hands its runtime to
 * the compiled root function at every render; the root function is wrapped to hand it ours instead, which
 * also reaches the blocks and macros the root function calls. Should a nunjucks upgrade rename that
 * function, this fails at start-up rather than printing nulls as empty strings.
 */
export function compileTemplate(source: string, html: boolean, path?: string): nunjucks.Template {
  const template = new nunjucks.Template(source, html ? htmlEnvironment : textEnvironment, path, true);
  const compiled = template as unknown as { rootRenderFunc?: RootRender };
  const root = compiled.rootRenderFunc;
  if (typeof root !== 'function') throw new Error('this version of nunjucks cannot print values as Jinja');
  compiled.rootRenderFunc = (env, context, frame, _runtime, callback) =>
    root(env, context, frame, jinjaRuntime, callback);
  return template;
}

/** Jinja drops a template's final newline (keep_trailing_newline off); nunjucks keeps it. */
const withoutFinalNewline = (text: string) => text.replace(/\r?\n$/, '');

interface Version {
  mtimeMs: number;
  size: number;
  ino: number;
}

const sameVersion = (a: Version, b: Version) =>
  a.mtimeMs === b.mtimeMs && a.size === b.size && a.ino === b.ino;

/**
 * One template file, compiled at start-up and recompiled when the file changes (upstream's Jinja loader
 * re-reads on a new modification time). Size and inode are compared too, so that an edit within the
 * file system's timestamp granularity or a file replaced by rename is still noticed.
 */
export class TemplateFile {
  private version: Version;
  private template: nunjucks.Template;
  /** The change being read, shared by the renders that noticed it. */
  private reloading: Promise<void> | null = null;
  /** A vanished file is reported once, not at every mail. */
  private missing = false;

  constructor(
    readonly key: TemplateKey,
    readonly path: string,
    private readonly html: boolean,
    private readonly logger: Logger,
  ) {
    try {
      this.version = statSync(path);
      this.template = this.compile(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new ConfigError(`${key}: cannot use the template ${path}: ${(error as Error).message}`);
    }
  }

  private compile(source: string): nunjucks.Template {
    return compileTemplate(source, this.html, this.path);
  }

  /** Renders the version on disk; a file that became unreadable or invalid keeps the last good one. */
  async render(context: object): Promise<string> {
    await this.refresh();
    return withoutFinalNewline(this.template.render(context));
  }

  /** Renders the version compiled at start-up, without looking at the file again. */
  renderNow(context: object): string {
    return withoutFinalNewline(this.template.render(context));
  }

  private async refresh(): Promise<void> {
    if (this.reloading === null) {
      this.reloading = this.reloadIfChanged().finally(() => {
        this.reloading = null;
      });
    }
    return this.reloading;
  }

  private async reloadIfChanged(): Promise<void> {
    let version: Version;
    try {
      version = await stat(this.path);
    } catch (error) {
      if (!this.missing) {
        this.logger.error(
          { key: this.key, path: this.path, err: error },
          'mail template unreadable, keeping the version loaded before',
        );
      }
      this.missing = true;
      return;
    }
    this.missing = false;
    if (sameVersion(version, this.version)) return;
    try {
      this.template = this.compile(await readFile(this.path, 'utf8'));
      this.version = version;
      this.logger.info({ key: this.key, path: this.path }, 'mail template reloaded');
    } catch (error) {
      // Remember the broken version so that it is reported once, not at every mail.
      this.version = version;
      this.logger.error(
        { key: this.key, path: this.path, err: error },
        'mail template changed but cannot be used, keeping the version loaded before',
      );
    }
  }
}

export type MailTemplates = Record<TemplateKey, TemplateFile>;

/** Compiles the five templates; a missing, unreadable or invalid one throws a ConfigError naming its key. */
export function loadTemplates(
  config: Record<TemplateKey, string | null>,
  logger: Logger,
  dirs: TemplateDirs = {},
): MailTemplates {
  const entries = (Object.keys(TEMPLATE_KEYS) as TemplateKey[]).map((key) => {
    const path = templatePath(key, config[key], dirs);
    const html = key === 'email_confirmation_get_response_body_template';
    return [key, new TemplateFile(key, path, html, logger)] as const;
  });
  return Object.fromEntries(entries) as MailTemplates;
}
