import { describe, expect, it } from '@jest/globals';
import { describeDevice, deviceKind } from './device.js';

describe(describeDevice.name, () => {
  it.each([
    [
      'Chrome on macOS',
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
      { browser: 'Chrome 120', os: 'macOS 10.15.7' },
    ],
    [
      'Safari on iOS',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
      { browser: 'Safari 17', os: 'iOS 17.1' },
    ],
    [
      'Firefox on Windows, by its release name',
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0',
      { browser: 'Firefox 121', os: 'Windows 10' },
    ],
    [
      'Edge on Linux, not taken for the Chrome it resembles',
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36 Edg/119.0.0.0',
      { browser: 'Microsoft Edge 119', os: 'Linux' },
    ],
    [
      'Chrome on Android',
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36',
      { browser: 'Chrome 120', os: 'Android 14' },
    ],
  ])('names %s', (_name, userAgent, device) => {
    expect(describeDevice(userAgent)).toEqual(device);
  });

  it.each([
    ['no user agent', null],
    ['an empty one', ''],
    ['blanks', '   '],
    ['a command-line client', 'curl/8.4.0'],
    ['noise', '\u0000\u0001 ???'],
  ])('answers nulls, never throwing, for %s', (_name, userAgent) => {
    expect(describeDevice(userAgent)).toEqual({ browser: null, os: null });
  });
});

describe(deviceKind.name, () => {
  it('names the kind without versions, so an update is the same device', () => {
    const chrome120 =
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
    const chrome131 = chrome120.replace('Chrome/120', 'Chrome/131');
    expect(deviceKind(chrome120)).toBe('Chrome on macOS');
    expect(deviceKind(chrome131)).toBe(deviceKind(chrome120));
    expect(
      deviceKind(
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0',
      ),
    ).toBe('Firefox on Windows');
  });

  it.each([null, '', '   ', '\u0000\u0001 ???'])('calls %p an unknown device', (userAgent) => {
    expect(deviceKind(userAgent)).toBe('an unknown device');
  });
});

describe('device names from user agents a sender wrote', () => {
  const phishing = 'Security team: all is fine, visit https://evil.example/verify/1 (';
  it.each([phishing, '<img src=x onerror=alert(1)>/1 (', 'Chrome/120 <script>/9 (x'])(
    'shows only names the parser knows for %p',
    (userAgent) => {
      const device = describeDevice(userAgent);
      for (const value of [device.browser, device.os, deviceKind(userAgent)]) {
        expect(value ?? '').not.toMatch(/evil|<|>|Security/);
      }
    },
  );
});
