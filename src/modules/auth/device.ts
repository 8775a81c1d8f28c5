import Bowser from 'bowser';

/** What a user agent says of the device, for people to recognise their sessions by. */
export interface Device {
  /** Name and major version, e.g. "Chrome 120"; null when the agent names no browser. */
  browser: string | null;
  /** Name and version, e.g. "macOS 10.15.7" or "Windows 10"; null when unknown. */
  os: string | null;
}

const UNKNOWN: Device = { browser: null, os: null };

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
  return {
    browser: joined(browser.name, browser.version?.split('.')[0]),
    // Windows reports its kernel version ("NT 10.0"); people know it by its release name.
    os: joined(os.name, os.name === 'Windows' ? os.versionName : os.version),
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
  const browser = parser.getBrowserName();
  const os = parser.getOSName();
  if (!browser && !os) return 'an unknown device';
  return `${browser || 'an unknown browser'} on ${os || 'an unknown system'}`.slice(0, 200);
}
