import Bowser from 'bowser';

/** What a user agent says of the device, for people to recognise their sessions by. */
export interface Device {
  /** Name and major version, e.g. "Chrome 120"; null when the agent names no browser. */
  browser: string | null;
  /** Name and version, e.g. "macOS 10.15.7" or "Windows 10"; null when unknown. */
  os: string | null;
}

const UNKNOWN: Device = { browser: null, os: null };

/**
 * The names bowser knows. For an agent it does not recognise it takes the text before the
 * last "/" as the browser's name, which is the sender's own words: those are never shown.
 */
const KNOWN_BROWSERS = new Set(Object.values(Bowser.BROWSER_MAP));
const KNOWN_SYSTEMS = new Set(Object.values(Bowser.OS_MAP));

function known(names: Set<string>, name: string | undefined): string | undefined {
  return name !== undefined && names.has(name) ? name : undefined;
}

/** A version as the agent gives it, when it is a plain version (digits, dots, letters). */
function printable(version: string | undefined): string | undefined {
  return version !== undefined && /^[0-9A-Za-z._ -]{1,20}$/.test(version) ? version : undefined;
}

function joined(name: string | undefined, version: string | undefined): string | null {
  if (!name) return null;
  return version ? `${name} ${version}` : name;
}

/**
 * The browser and operating system a user agent names, read by bowser (MIT, maintained, its
 * own types): user agents are too irregular for patterns of our own to keep up with.
 */
export function describeDevice(userAgent: string | null): Device {
  if (!userAgent?.trim()) return UNKNOWN;
  let parser: Bowser.Parser.Parser;
  try {
    parser = Bowser.getParser(userAgent);
  } catch {
    return UNKNOWN;
  }
  const browser = parser.getBrowser();
  const os = parser.getOS();
  const browserName = known(KNOWN_BROWSERS, browser.name);
  const osName = known(KNOWN_SYSTEMS, os.name);
  return {
    browser: joined(browserName, browserName && printable(browser.version?.split('.')[0])),
    // Windows reports its kernel version ("NT 10.0"); people know it by its release name.
    os: joined(osName, osName && printable(osName === 'Windows' ? os.versionName : os.version)),
  };
}

/**
 * The kind of device, without versions ("Chrome on macOS"): what a person recognises as the
 * same device after an update. Agents that name neither are one kind, "an unknown device".
 */
export function deviceKind(userAgent: string | null): string {
  if (!userAgent?.trim()) return 'an unknown device';
  let parser: Bowser.Parser.Parser;
  try {
    parser = Bowser.getParser(userAgent);
  } catch {
    return 'an unknown device';
  }
  const browser = known(KNOWN_BROWSERS, parser.getBrowserName());
  const os = known(KNOWN_SYSTEMS, parser.getOSName());
  if (!browser && !os) return 'an unknown device';
  return `${browser ?? 'an unknown browser'} on ${os ?? 'an unknown system'}`;
}
