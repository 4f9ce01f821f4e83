const NAMES: Readonly<Record<string, string>> = { google: 'Google', microsoft: 'Microsoft' };

/** What the browser shows once the provider sent it back and the account is connected. */
export function connectedPage(type: string): string {
  const name = NAMES[type] ?? type.replace(/[^\w.-]/g, '');
  return (
    '<!doctype html>\n<html lang=en>\n<meta charset=utf-8>\n' +
    `<title>${name} account connected</title>\n` +
    `<p>Your ${name} account is now connected to Wazo. You can close this window.</p>\n`
  );
}
