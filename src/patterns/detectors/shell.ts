import { parse, type ParseEntry } from 'shell-quote';
import { inspectionForms } from '../../policy/decode.js';

/**
 * Command injection: text that, placed in a shell command line, runs a second command. The
 * grammar of that is narrow: a control operator (`;`, `&`, `&&`, `||`, `|`, a newline) or a
 * substitution (`$(…)`, backticks, `<(…)`) followed by something that names a program, or a
 * redirection into a sensitive place. So the text is tokenised like a shell does (shell-quote,
 * after a quote-aware pass for what it does not model), read as it stands and as if it sat
 * inside '…' or "…", and each operator is judged by what follows it:
 * - a program: a known command (the catalogues' recon, download, shell and destruction tools),
 *   a path (`/bin/sh`, `./x`), a variable or glob standing for one (`$SHELL`, `/???/??t`);
 *   commands that are also English words (`cat`, `sleep`, `ping`) need an argument that looks
 *   like one (`-c 3`, `/etc/passwd`, `10.0.0.1`), so "Tom & Jerry" and "first; cat lovers" pass;
 * - a redirection target under /etc, /var, ~, /dev/tcp …, with `..`, or a script extension.
 * Quotes protect what they quote (`git commit -m "a; b"`), `$5` is not a command, and `(`
 * opens a subshell only where a command may start (`see (above)` is prose).
 * Every form from the shared decoder is judged, so `%0a`, `%3B`, `%26%26` and `%0d%0a` count.
 */

/** Programs no one names in prose: an attack after any operator. */
const STRONG_COMMANDS = new Set([
  'id', 'whoami', 'uname', 'ifconfig', 'ipconfig', 'netstat', 'nc', 'ncat', 'netcat', 'socat', 'curl', 'wget', 'bash', 'sh',
  'zsh', 'dash', 'ksh', 'csh', 'tcsh', 'busybox', 'python', 'python2', 'python3', 'perl', 'php', 'ruby', 'lua', 'powershell',
  'pwsh', 'cmd', 'certutil', 'bitsadmin', 'nslookup', 'telnet', 'tftp', 'chmod', 'chown', 'chgrp', 'rm', 'rmdir', 'mkfifo',
  'mknod', 'base64', 'xxd', 'systeminfo', 'tasklist', 'taskkill', 'wmic', 'reg', 'rundll32', 'mshta', 'regsvr32', 'cscript',
  'wscript', 'hostname', 'pwd', 'ls', 'ps', 'printenv', 'sudo', 'su', 'useradd', 'usermod', 'userdel', 'crontab', 'nohup',
  'xargs', 'awk', 'gawk', 'sed', 'dd', 'mkfs', 'shutdown', 'reboot', 'halt', 'poweroff', 'ssh', 'scp', 'sftp', 'ftp', 'rsync',
  'nmap', 'tcpdump', 'iptables', 'getent', 'chattr', 'killall', 'pkill', 'systemctl', 'launchctl', 'schtasks', 'icacls',
  'cacls', 'attrib', 'vssadmin', 'wevtutil', 'bcdedit', 'msiexec', 'certreq', 'msbuild', 'installutil', 'regasm', 'cmdkey',
  'nltest', 'dsquery', 'tracert', 'traceroute', 'openssl', 'gpg', 'strace', 'lsof', 'setsid', 'printf', 'cp', 'mv', 'ln',
  'mkdir', 'wc', 'env', 'eval', 'exec', 'unset', 'ulimit', 'chpasswd', 'passwd', 'visudo', 'iex', 'iwr', 'irm',
  'invoke-expression', 'invoke-webrequest', 'invoke-restmethod', 'start-process', 'new-object', 'set-content', 'whoami.exe',
  'uptime', 'lsb_release', 'arp', 'tar', 'gzip', 'gunzip', 'unzip', 'zcat', 'bzip2', 'nproc', 'lscpu', 'dmesg', 'journalctl',
  'getfacl', 'setfacl', 'fsutil', 'forfiles', 'pcalua', 'odbcconf', 'wsl', 'bash.exe', 'sh.exe', 'cmd.exe', 'powershell.exe',
  'jrunscript', 'gdb', 'openvpn', 'vim', 'vi', 'nano', 'emacs', 'ed', 'chroot', 'runas', 'psexec',
  'netsh', 'sysinfo', 'disown', 'bg', 'fg', 'umask', 'shopt', 'typeset', 'compgen', 'builtin',
]);

/** Programs that are English words too: an attack only with an argument that looks like one. */
const WEAK_COMMANDS = new Set([
  'cat', 'echo', 'find', 'head', 'tail', 'more', 'less', 'sort', 'touch', 'sleep', 'ping', 'kill', 'type', 'set', 'start',
  'date', 'time', 'copy', 'move', 'del', 'erase', 'dig', 'host', 'file', 'which', 'who', 'wall', 'mail', 'read', 'test',
  'watch', 'wait', 'nice', 'tee', 'cut', 'tr', 'od', 'strings', 'split', 'last', 'top', 'free', 'df', 'du', 'mount',
  'source', 'export', 'alias', 'history', 'whois', 'timeout', 'shred', 'ver', 'net', 'sc', 'call', 'look', 'grep',
  'uniq', 'rev', 'nl', 'fold', 'expand', 'join', 'paste', 'unlink', 'link', 'install', 'trap', 'exit', 'dir', 'node',
  'deno', 'java', 'route',
]);

/** English-word commands that do their harm with no argument at all (`| dir`, `; set`). */
const MEANINGFUL_ALONE = new Set(['dir', 'who', 'ver', 'history', 'set', 'df', 'free', 'top', 'last', 'route']);
/** English-word commands whose argument is a number (`; sleep 5`, `; kill 1`). */
const NUMERIC_ARGUMENT = new Set(['sleep', 'kill', 'timeout', 'wait', 'ping']);

/**
 * Windows finds programs whatever their case (`WHOAMI`, `Dir`); Unix does not, so a capitalised
 * `Id` or `Cat` in a sentence or a table is a word, not a program.
 */
const CASE_INSENSITIVE = new Set([
  'cmd', 'powershell', 'pwsh', 'certutil', 'bitsadmin', 'ipconfig', 'systeminfo', 'tasklist', 'taskkill', 'wmic', 'reg', 'rundll32',
  'mshta', 'regsvr32', 'cscript', 'wscript', 'whoami', 'hostname', 'netstat', 'nslookup', 'ping', 'dir', 'type', 'net', 'sc',
  'schtasks', 'icacls', 'cacls', 'attrib', 'vssadmin', 'wevtutil', 'bcdedit', 'msiexec', 'certreq', 'msbuild', 'installutil',
  'regasm', 'cmdkey', 'nltest', 'dsquery', 'tracert', 'set', 'copy', 'move', 'del', 'erase', 'ver', 'route', 'arp', 'iex', 'iwr',
  'irm', 'invoke-expression', 'invoke-webrequest', 'invoke-restmethod', 'start-process', 'new-object', 'set-content', 'netsh',
  'forfiles', 'pcalua', 'odbcconf', 'wsl', 'runas', 'psexec', 'echo', 'find', 'start', 'call', 'timeout', 'exit', 'tftp', 'ftp',
  'telnet', 'curl', 'tar', 'systeminfo', 'sysinfo',
]);

/** Subcommands that make `net` and `sc` commands rather than words. */
const SUBCOMMANDS: Readonly<Record<string, ReadonlySet<string>>> = {
  net: new Set(['user', 'users', 'localgroup', 'group', 'view', 'share', 'use', 'start', 'stop', 'accounts', 'session', 'config']),
  sc: new Set(['query', 'queryex', 'create', 'start', 'stop', 'config', 'qc', 'delete', 'description']),
};

/**
 * Filters that only transform what is piped into them: `ps aux | grep node` is one pipeline the
 * caller meant, not a second program. They count after `|` only when pointed at a sensitive file.
 */
const PIPE_FILTERS = new Set(['grep', 'egrep', 'fgrep', 'head', 'tail', 'sort', 'uniq', 'wc', 'cut', 'tr', 'jq', 'less',
  'more', 'column', 'nl', 'fold', 'rev', 'tac', 'fmt', 'cat', 'tee']);

/** Operators after which a new command starts. */
const SEPARATORS = new Set([';', '&', '&&', '||', '|', '|&', ';;', ';&', '<(', '>(']);
const REDIRECTIONS = new Set(['>', '>>', '<', '>&', '&>', '&>>', '>|', '<>', '<<<']);

/** Where writing or reading through a redirection is an attack on the host, not on a scratch file. */
const SENSITIVE_ROOTS = /^\/(?:etc|var|root|home|usr|bin|sbin|boot|proc|sys|tmp|opt|srv|lib|lib64|dev\/(?:tcp|udp)|Library|Users|private|System)(?:\/|$)/;
const SENSITIVE_NAMES = /(?:^|\/)(?:\.bashrc|\.bash_profile|\.profile|\.zshrc|\.ssh|authorized_keys|id_rsa|crontab|passwd|shadow|sudoers|\.htaccess|\.git)(?:\/|$)/i;
const EXECUTABLE_EXTENSIONS = /\.(?:php\d?|phtml|phar|jsp|jspx|asp|aspx|ashx|cgi|pl|py|sh|war|exe|bat|cmd|ps1|vbs|hta)$/i;
const HARMLESS_DEVICES = new Set(['/dev/null', '/dev/stdout', '/dev/stderr', '/dev/zero']);

/** How deep `sh -c '…'` and `eval '…'` arguments are read again as shell text. */
const MAX_NESTING = 2;
/** Characters of a substitution body that are read: bounds the work per substitution. */
const BODY_PREVIEW = 64;
/**
 * More command substitutions than anyone writes into an argument: past this the text is judged an
 * injection without reading each one, so a flood of `$(` cannot buy time on the worker.
 */
const MAX_SUBSTITUTIONS = 256;

interface Substitution {
  /** `$(…)` and process substitution run whatever they hold; a backtick body may be Markdown code. */
  alwaysRuns: boolean;
  body: string;
}

interface ShellScan {
  /** Command lines, split at unquoted newlines, comments removed, ready for shell-quote. */
  lines: string[];
  substitutions: Substitution[];
  /** Index of the quote left open at the end, or -1 when every quote closes. */
  openQuote: number;
}

const isBlank = (char: string | undefined) => char === ' ' || char === '\t';
const isWordBoundary = (char: string | undefined) => char === undefined || isBlank(char) || char === '\n' || ';&|()<>'.includes(char);

/**
 * What shell-quote does not model, done the way bash reads it: `#` starts a comment only at the
 * start of a word and the comment ends at the newline (shell-quote ends nothing and makes `a#b`
 * a comment); a newline outside quotes ends a command; `$(…)` and backticks also run inside
 * double quotes, where shell-quote sees a plain string. One pass; substitution bodies are cut
 * where they close, with a stack, so nesting does not rescan.
 */
function scanShell(text: string): ShellScan {
  const lines: string[] = [];
  const substitutions: Substitution[] = [];
  const open: number[] = [];
  let line = '';
  let quote: '' | "'" | '"' | "$'" = '';
  let quoteStart = -1;
  let backtickStart = -1;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    const next = text[index + 1];
    if (quote === "'" || quote === "$'") {
      if (quote === "$'" && char === '\\') {
        line += char + (next ?? '');
        index += 1;
        continue;
      }
      line += char;
      if (char === "'") quote = '';
      continue;
    }
    if (char === '\\') {
      if (next === '\n') {
        index += 1; // a line continuation joins the lines
        continue;
      }
      // bash drops a backslash before a letter (`c\at` is `cat`), cmd reads it as a separator
      // (`C:\Windows\cmd.exe`): keep it literal here and let programNames read it both ways.
      const literal = quote === '' && next !== undefined && /[A-Za-z0-9_.]/.test(next);
      line += (literal ? '\\\\' : char) + (next ?? '');
      index += 1;
      continue;
    }
    if (char === '`') {
      if (backtickStart < 0) backtickStart = index + 1;
      else {
        substitutions.push({ alwaysRuns: false, body: text.slice(backtickStart, Math.min(index, backtickStart + BODY_PREVIEW)) });
        backtickStart = -1;
      }
      line += char;
      continue;
    }
    if (char === '$' && next === '(' && text[index + 2] !== '(') {
      open.push(index + 2);
      line += '$(';
      index += 1;
      continue;
    }
    if (quote === '"') {
      line += char;
      if (char === '"') quote = '';
      else if (char === ')' && open.length > 0) closeSubstitution(text, index, open, substitutions);
      continue;
    }
    if ((char === '<' || char === '>') && next === '(') {
      open.push(index + 2);
      line += char + next;
      index += 1;
      continue;
    }
    if (char === ')' && open.length > 0) {
      closeSubstitution(text, index, open, substitutions);
      line += char;
      continue;
    }
    if (char === "'" || char === '"') {
      quote = char === "'" && text[index - 1] === '$' ? "$'" : char;
      quoteStart = index;
      line += char;
      continue;
    }
    if (char === '#') {
      if (isWordBoundary(text[index - 1]) && backtickStart < 0) {
        const newline = text.indexOf('\n', index);
        if (newline < 0) break;
        index = newline - 1;
        continue;
      }
      line += '\\#';
      continue;
    }
    // A NUL is where C code stops reading and other code carries on: what follows may run.
    if (char === '\n' || char === '\r' || char === '\0') {
      lines.push(line);
      line = '';
      continue;
    }
    line += char;
  }
  for (const start of open) substitutions.push({ alwaysRuns: true, body: text.slice(start, start + BODY_PREVIEW) });
  if (backtickStart >= 0) substitutions.push({ alwaysRuns: false, body: text.slice(backtickStart, backtickStart + BODY_PREVIEW) });
  const openQuote = quote === '' ? -1 : quoteStart;
  // A quote that never closes is a syntax error to the shell: what follows it never runs.
  if (openQuote >= 0) line = line.slice(0, Math.max(0, line.length - (text.length - openQuote)));
  lines.push(line);
  return { lines, substitutions, openQuote };
}

function closeSubstitution(text: string, index: number, open: number[], substitutions: Substitution[]): void {
  const start = open.pop()!;
  substitutions.push({ alwaysRuns: true, body: text.slice(start, Math.min(index, start + BODY_PREVIEW)) });
}

type Entry = ParseEntry | { variable: string };

/**
 * Variables kept visible, so `$SHELL` and `${IFS}` are not erased: every name expands to a marker
 * that shellEntries turns into a `{ variable }` entry. An object rather than a function, because
 * shell-quote then skips a pass that compiles a regex for every word.
 */
const VARIABLE_START = '\ue000';
const VARIABLE_END = '\ue001';
const VARIABLE_MARKERS = new Proxy({}, { get: (_, key) => `${VARIABLE_START}${String(key)}${VARIABLE_END}` }) as Record<string, string>;
const VARIABLE_SPLIT = /(\ue000[^\ue001]*\ue001)/;

function withVariables(entries: ParseEntry[]): Entry[] {
  const out: Entry[] = [];
  for (const entry of entries) {
    if (typeof entry !== 'string' || !entry.includes(VARIABLE_START)) {
      out.push(entry);
      continue;
    }
    for (const part of entry.split(VARIABLE_SPLIT)) {
      if (part === '') continue;
      out.push(part.startsWith(VARIABLE_START) && part.endsWith(VARIABLE_END) ? { variable: part.slice(1, -1) } : part);
    }
  }
  return out;
}

/** shell-quote's words and operators, with variables as entries of their own. */
function shellEntries(line: string): Entry[] {
  try {
    return withVariables(parse(line, VARIABLE_MARKERS));
  } catch {
    // An unclosed `${` makes shell-quote throw; bash would refuse the line, but keep its operators visible.
    return withVariables(parse(line.replace(/\$/g, '\\$'), VARIABLE_MARKERS));
  }
}

type ControlOperator = Extract<ParseEntry, { op: string }> & { op: Exclude<Extract<ParseEntry, { op: string }>['op'], 'glob'> };
const isOperator = (entry: Entry | undefined): entry is ControlOperator =>
  typeof entry === 'object' && entry !== null && 'op' in entry && entry.op !== 'glob';
const isVariable = (entry: Entry | undefined): entry is { variable: string } =>
  typeof entry === 'object' && entry !== null && 'variable' in entry;
const isGlob = (entry: Entry | undefined): entry is { op: 'glob'; pattern: string } =>
  typeof entry === 'object' && entry !== null && 'op' in entry && entry.op === 'glob';

/**
 * The programs a word may name: read as bash does (backslashes dropped) and as cmd does
 * (backslashes separate directories), with brace expansion, `^` escapes, directories and `.exe`
 * removed.
 */
function programNames(word: string): string[] {
  let unescaped = word.replace(/\^/g, '');
  if (unescaped.startsWith('{') && unescaped.includes(',')) unescaped = unescaped.slice(1, unescaped.indexOf(','));
  const base = (name: string) => {
    const file = name.slice(name.lastIndexOf('/') + 1).replace(/\.(?:exe|com)$/i, '');
    const lower = file.toLowerCase();
    return lower === file || CASE_INSENSITIVE.has(lower) ? lower : file;
  };
  return [base(unescaped.replace(/\\/g, '')), base(unescaped.replace(/\\/g, '/'))];
}

/**
 * A word that runs a file by path: relative (`./x.sh`, `../x`, `~/x`), in a directory programs
 * live or are dropped in (`/bin/sh`, `/usr/local/bin/x`, `/tmp/x`, `/dev/shm/x`), or a Windows
 * executable (`C:\Windows\System32\cmd.exe`). `/docs/guide` is a path someone mentions.
 */
const isPathProgram = (word: string) => {
  const path = word.replace(/^\{/, '');
  return /^(?:\.{1,2}\/|~\/)[\w.-]/.test(path)
    || /^\/(?:[\w.-]+\/)*(?:s?bin|libexec|tmp|shm)\/[\w.-]/.test(path)
    || /^(?:[A-Za-z]:|\\\\)[\\/].*\.(?:exe|com|bat|cmd|ps1|vbs)$/i.test(path);
};

/** Looks like an argument to the program `name`: an option, a path, a file or host name, an address. */
function isArgumentLike(name: string, entry: Entry | undefined): boolean {
  // `cat < /etc/passwd`, `cat<<<x`, `echo x > f`: redirecting a word's input or output makes it a command.
  if (isOperator(entry) && REDIRECTIONS.has(entry.op)) return true;
  if (entry === undefined || isOperator(entry)) return MEANINGFUL_ALONE.has(name);
  if (isVariable(entry)) return !/^\d+$/.test(entry.variable);
  if (isGlob(entry)) return true;
  if (typeof entry !== 'string') return false;
  if (/^\d+[smhd]?$/.test(entry)) return NUMERIC_ARGUMENT.has(name);
  return /^-{1,2}[A-Za-z0-9]/.test(entry) || /[/\\]/.test(entry) || /^[A-Za-z]:/.test(entry) || /^[\w-]+(?:\.[\w-]+)+$/.test(entry)
    || entry.startsWith('~');
}

/** The entry at `at`, in a position where a command starts, names a program. */
function namesProgram(entries: readonly Entry[], at: number, relaxed: boolean): boolean {
  let index = at;
  // Assignments before a command (`A=1 B=2 cmd`) are not the program.
  while (typeof entries[index] === 'string' && /^[A-Za-z_]\w*=/.test(entries[index] as string)) index += 1;
  const entry = entries[index];
  if (isVariable(entry)) return entry.variable !== '' && !/^\d+$/.test(entry.variable);
  if (isGlob(entry)) return entry.pattern.includes('/');
  if (typeof entry !== 'string' || entry === '') return false;
  if (isPathProgram(entry)) return true;
  const names = programNames(entry);
  if (names.some((name) => STRONG_COMMANDS.has(name))) return true;
  const name = names.find((candidate) => WEAK_COMMANDS.has(candidate));
  if (name === undefined) return false;
  // Brace expansion carries its own arguments: `{cat,/etc/passwd}` is `cat /etc/passwd`.
  const brace = /^\{[^,]*,([^,}]*)/.exec(entry);
  const argument = brace ? brace[1] : entries[index + 1];
  const subcommands = SUBCOMMANDS[name];
  if (subcommands) return typeof argument === 'string' && subcommands.has(argument.toLowerCase());
  return relaxed || isArgumentLike(name, argument);
}

/** A pipe filter whose arguments, up to the next operator, name no sensitive file (`| grep -v x`). */
function harmlessFilter(entries: readonly Entry[], at: number): boolean {
  const entry = entries[at];
  if (typeof entry !== 'string' || !programNames(entry).some((name) => PIPE_FILTERS.has(name))) return false;
  for (let next = at + 1; next < entries.length && !isOperator(entries[next]); next++) {
    const argument = entries[next];
    if (typeof argument === 'string' && !argument.startsWith('-') && sensitiveTarget(argument)) return false;
  }
  return true;
}

function sensitiveTarget(entry: Entry | undefined): boolean {
  if (isVariable(entry)) return !/^\d+$/.test(entry.variable);
  const target = isGlob(entry) ? entry.pattern : entry;
  if (typeof target !== 'string' || target === '' || HARMLESS_DEVICES.has(target) || /^\d+$/.test(target)) return false;
  const unified = target.replace(/\\/g, '/');
  return SENSITIVE_ROOTS.test(unified) || unified.startsWith('~') || /^[A-Za-z]:\//.test(unified) || unified.startsWith('//')
    || /(?:^|\/)\.\.(?:\/|$)/.test(unified) || SENSITIVE_NAMES.test(unified) || EXECUTABLE_EXTENSIONS.test(unified);
}

/** One command line's entries: is a second program started, or a sensitive place redirected to? */
function lineInjects(entries: readonly Entry[], startsAtCommand: boolean, depth: number): boolean {
  // The first command of the text is what the caller meant to run; every later one is injected.
  let commandPosition = startsAtCommand;
  let afterPipe = false;
  let first = true;
  for (let at = 0; at < entries.length; at++) {
    const entry = entries[at];
    if (isOperator(entry)) {
      if (SEPARATORS.has(entry.op)) {
        commandPosition = true;
        afterPipe = entry.op === '|' || entry.op === '|&';
      } else if (REDIRECTIONS.has(entry.op)) {
        if (sensitiveTarget(entries[at + 1])) return true;
        at += 1;
      } else if (entry.op === '(') {
        // A subshell only where a command may start; elsewhere `(` is prose or a syntax error.
        if (!commandPosition) continue;
      }
      continue;
    }
    if (commandPosition && namesProgram(entries, at, false) && !(afterPipe && harmlessFilter(entries, at))) return true;
    if ((commandPosition || first) && depth < MAX_NESTING && runsScript(entries, at, depth)) return true;
    commandPosition = false;
    first = false;
  }
  return false;
}

/** `sh -c 'a; b'`, `bash -c …`, `cmd /c …`: the argument is shell text in its own right. */
function runsScript(entries: readonly Entry[], at: number, depth: number): boolean {
  const entry = entries[at];
  if (typeof entry !== 'string') return false;
  const name = programNames(entry)[0];
  const flag = entries[at + 1];
  const script = entries[at + 2];
  const shell = ['sh', 'bash', 'zsh', 'dash', 'ksh', 'busybox', 'eval'].includes(name);
  if (name === 'eval' && typeof flag === 'string') return injects(flag, depth + 1);
  if (shell && flag === '-c' && typeof script === 'string') return injects(script, depth + 1);
  if (name === 'cmd' && typeof flag === 'string' && /^\/[ck]$/i.test(flag) && typeof script === 'string') {
    const words = entries.slice(at + 2).filter((word): word is string => typeof word === 'string');
    return injects(words.join(' '), depth + 1);
  }
  return false;
}

const NESTED_START = /^\s*(?:\$\(|`|[<>]\()/;

const linesInject = (scan: ShellScan, depth: number) =>
  scan.lines.some((line, index) => lineInjects(shellEntries(line), index > 0, depth));

/**
 * Judges shell text as it stands. The scan records every substitution at every depth, so a body
 * is read again only for its command lines (`"$(a; id)"`), never for the substitutions inside
 * it: that keeps the work linear however deeply `$(` is nested or left open.
 */
function injects(text: string, depth: number): boolean {
  const scan = scanShell(text);
  if (scan.substitutions.length > MAX_SUBSTITUTIONS) return true;
  for (const { body, alwaysRuns } of scan.substitutions) {
    // A body that opens with another substitution names no program itself; the inner one has its own record.
    if (!NESTED_START.test(body) && namesProgram(shellEntries(body.replace(/[\r\n]/g, ' ')), 0, alwaysRuns)) return true;
    if (alwaysRuns && /[;&|\n\r\0]/.test(body) && linesInject(scanShell(body), MAX_NESTING)) return true;
  }
  return linesInject(scan, depth);
}

/** Where text placed inside `quote` closes it, or -1 (a backslash escapes `"` but not `'`). */
function closingQuote(text: string, quote: string): number {
  for (let index = 0; index < text.length; index++) {
    if (quote === '"' && text[index] === '\\') index += 1;
    else if (text[index] === quote) return index;
  }
  return -1;
}

/**
 * Text that closes the quotes it was placed in breaks out only if shell syntax follows at once
 * (`'; id; '`, `"$(id)"`, `' | nc …`); `echo 'ls; id'` closes its quote before a plain word.
 */
function breaksOut(text: string, quote: string): boolean {
  const close = closingQuote(text, quote);
  if (close < 0) return false;
  const after = text.slice(close + 1).replace(/^[ \t]+/, '');
  return /^(?:[;&|\n\r\0<>`]|\$\()/.test(after);
}

/** `() { :;};` in a variable: bash before 4.3 ran what follows the function (CVE-2014-6271). */
const SHELLSHOCK = /^\s*\(\s*\)\s*\{/;

/**
 * The same attack one layer up, when the text reaches an interpreter rather than a shell: the
 * functions of PHP, Perl, Python, Ruby, Node and Java that run a command, called with a literal
 * or a variable (`;system('id')`, `passthru($_GET[c])`, `os.system("id")`), PHP's `phpinfo()`
 * probe and its `{${…}}` / `${@…}` interpolation. A call on a variable name (`re.exec(text)`) is code.
 */
const INTERPRETER_EXECUTION = new RegExp([
  String.raw`\b(?:system|passthru|shell_exec|exec|popen|proc_open|pcntl_exec|assert|eval|os\.system|os\.popen|subprocess\.(?:call|run|Popen|check_output)|child_process\.exec(?:Sync)?|Runtime\.getRuntime\(\)\.exec)\s*\(\s*['"\`$]`,
  String.raw`\bphpinfo\s*\(\s*\)`,
  String.raw`\{\$\{`,
  String.raw`\$\{@`,
].join('|'));

/** Judges one decoded form as it stands and as the inside of a '…' or "…" argument. */
function injectedForm(text: string): boolean {
  if (SHELLSHOCK.test(text) || INTERPRETER_EXECUTION.test(text) || injects(text, 0)) return true;
  for (const quote of ["'", '"']) {
    if (!breaksOut(text, quote)) continue;
    const wrapped = `${quote}${text}${quote}`;
    const scan = scanShell(wrapped);
    // The closing quote of the argument itself may be left open (`'; id`); any other open
    // quote makes the command line a syntax error, and then nothing runs.
    if (scan.openQuote >= 0 && scan.openQuote !== wrapped.length - 1) continue;
    if (injects(scan.openQuote >= 0 ? wrapped.slice(0, -1) : wrapped, 0)) return true;
  }
  return false;
}

/** True when the text, placed in a shell command line, would start another command (see above). */
export function detectCommandInjection(text: string): boolean {
  return inspectionForms(text).some(injectedForm);
}
