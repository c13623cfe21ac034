/**
 * A small XML well-formedness check (no DTDs, no CDATA): what a browser's XML parser rejects in a
 * hand-written SVG — unbalanced or crossed tags, a repeated attribute ("attribute font-size
 * redefined"), unquoted values, a raw `<` or a stray `&`, text outside the root. Returns the
 * problems found, empty when the document is well-formed.
 */
const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*$/;
const ENTITY = /^&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/;

function badAmpersand(text: string): boolean {
  for (let i = text.indexOf('&'); i !== -1; i = text.indexOf('&', i + 1))
    if (!ENTITY.test(text.slice(i))) return true;
  return false;
}

export function xmlProblems(doc: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  let roots = 0;
  let i = 0;
  const line = (at: number) => doc.slice(0, at).split('\n').length;
  while (i < doc.length) {
    const lt = doc.indexOf('<', i);
    const text = doc.slice(i, lt === -1 ? doc.length : lt);
    if (text.trim()) {
      if (stack.length === 0) problems.push(`line ${line(i)}: text outside the root element`);
      if (badAmpersand(text)) problems.push(`line ${line(i)}: "&" that is not an entity in text`);
      if (text.includes('>') && /]]>/.test(text)) problems.push(`line ${line(i)}: "]]>" in text`);
    }
    if (lt === -1) break;
    if (doc.startsWith('<?', lt)) {
      const end = doc.indexOf('?>', lt);
      if (end === -1 || lt !== 0) problems.push(`line ${line(lt)}: misplaced or unterminated <?…?>`);
      i = end === -1 ? doc.length : end + 2;
      continue;
    }
    if (doc.startsWith('<!--', lt)) {
      const end = doc.indexOf('-->', lt + 4);
      if (end === -1) problems.push(`line ${line(lt)}: unterminated comment`);
      i = end === -1 ? doc.length : end + 3;
      continue;
    }
    const gt = doc.indexOf('>', lt);
    if (gt === -1) {
      problems.push(`line ${line(lt)}: unterminated tag`);
      break;
    }
    const tag = doc.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (open !== name) problems.push(`line ${line(lt)}: </${name}> closes <${open ?? 'nothing'}>`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const name = body.match(/^[^\s]+/)?.[0] ?? '';
    if (!NAME.test(name)) problems.push(`line ${line(lt)}: bad element name "${name}"`);
    if (stack.length === 0 && roots++ > 0) problems.push(`line ${line(lt)}: a second root element <${name}>`);
    let rest = body.slice(name.length);
    const seen = new Set<string>();
    while (rest.trim()) {
      const m = rest.match(/^\s+([^\s=]+)\s*=\s*("([^"]*)"|'([^']*)')/);
      if (!m) {
        problems.push(`line ${line(lt)}: <${name}>: cannot read attributes at "${rest.trim().slice(0, 30)}"`);
        break;
      }
      const attr = m[1]!;
      const value = m[3] ?? m[4] ?? '';
      if (!NAME.test(attr)) problems.push(`line ${line(lt)}: <${name}>: bad attribute name "${attr}"`);
      if (seen.has(attr)) problems.push(`line ${line(lt)}: <${name}>: attribute ${attr} redefined`);
      seen.add(attr);
      if (value.includes('<')) problems.push(`line ${line(lt)}: <${name}>: "<" in attribute ${attr}`);
      if (badAmpersand(value))
        problems.push(`line ${line(lt)}: <${name}>: "&" that is not an entity in ${attr}`);
      rest = rest.slice(m[0].length);
    }
    if (!selfClosing) stack.push(name);
  }
  for (const open of stack.reverse()) problems.push(`<${open}> is never closed`);
  if (roots === 0) problems.push('no root element');
  return problems;
}
