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
