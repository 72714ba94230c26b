// `exclude` patterns of the archive kind, matched against each path the archive would read
// (like GNU tar's --exclude, unanchored):
// - `*` matches any run of characters except `/`, `?` one character except `/`, `**` any run
//   including `/`; every other character is literal;
// - a pattern without `/` matches a file or directory name (`*.log`, `node_modules`);
// - a pattern starting with `/` matches the absolute path from the root;
// - another pattern with `/` matches any trailing run of components (`cache/*.tmp`).
// A matched directory is left out with everything under it.

function globToRegex(glob: string): string {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return re;
}

export type PathMatcher = (absolutePath: string) => boolean;

export function excludeMatcher(patterns: readonly string[]): PathMatcher {
  const tests: ((p: string) => boolean)[] = patterns.map((pat) => {
    const p = pat.length > 1 ? pat.replace(/\/+$/, '') : pat;
    if (!p.includes('/')) {
      const re = new RegExp(`^${globToRegex(p)}$`, 's');
      // Each directory is tested as it is reached, so testing the last component is enough.
      return (abs) => re.test(abs.slice(abs.lastIndexOf('/') + 1));
    }
    if (p.startsWith('/')) {
      const re = new RegExp(`^${globToRegex(p)}$`, 's');
      return (abs) => re.test(abs);
    }
    const re = new RegExp(`(^|/)${globToRegex(p)}$`, 's');
    return (abs) => re.test(abs);
  });
  return (abs) => tests.some((t) => t(abs));
}
