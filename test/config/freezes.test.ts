import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/index.ts';
import { freezesOf } from '../../src/runbooks/freeze/scope.ts';
import { issueLines } from '../helpers/broken-example.ts';

// Scheduled freezes in the config (environments.X.freezes, services.X.environments.Y.freezes): the
// example's prod freezes load, and each mistake is refused where it stands, saying what to write instead.

const EXAMPLE = readFileSync('examples/shiftgate.yaml', 'utf8');
const WEEKEND = `      - name: weekend
        description: No prod changes from Friday afternoon to Monday morning
        timeZone: America/New_York`;

describe('scheduled freezes in the config', () => {
  it("the example's prod has a weekend and a year-end freeze; its services inherit them", async () => {
    const config = await loadConfig('examples/shiftgate.yaml');
    expect(config.environments.prod?.freezes.map((f) => f.name)).toEqual(['weekend', 'year-end']);
    expect(config.environments.prod?.freezes[0]?.weeklyWindows[1]).toEqual({
      daysOfWeek: ['SATURDAY', 'SUNDAY'],
      startTime: '00:00',
      endTime: '24:00',
    });
    expect(freezesOf(config, 'control', 'prod').map((f) => f.name)).toEqual(['weekend', 'year-end']);
    expect(freezesOf(config, 'control', 'staging')).toEqual([]);
  });

  it('an unknown time zone, with the one meant', () => {
    expect(issueLines(['timeZone: America/New_York', 'timeZone: America/New_Yrok'])).toEqual([
      'environments.prod.freezes[0].timeZone: unknown time zone "America/New_Yrok": expected an IANA name like "America/New_York", "Europe/Paris" or "UTC" (did you mean "America/New_York"?)',
    ]);
    expect(issueLines(['timeZone: America/New_York', 'timeZone: america/new_york'])[0]).toContain(
      'did you mean "America/New_York"?',
    );
    expect(issueLines(['timeZone: America/New_York', 'timeZone: "+05:00"'])[0]).toContain(
      'unknown time zone "+05:00"',
    );
  });

  it('an end before its start, a weekly window past midnight, a date that does not exist', () => {
    expect(issueLines(['end: "2027-01-04 09:00"', 'end: "2026-12-01 09:00"'])).toEqual([
      'environments.prod.freezes[1].oneTimeWindows[0].end: end "2026-12-01 09:00" is not after start "2026-12-18 17:00"',
    ]);
    const [overnight] = issueLines([
      'startTime: "16:00"',
      'startTime: "16:00"\n            endTime: "09:00"',
    ]);
    expect(overnight).toMatch(
      /^environments\.prod\.freezes\[0\]\.weeklyWindows\[0\]\.endTime: endTime 09:00 is not after startTime 16:00: .*FRIDAY 16:00-24:00 and SATURDAY 00:00-09:00/,
    );
    expect(issueLines(['start: "2026-12-18 17:00"', 'start: "2026-02-30 17:00"'])[0]).toMatch(
      /^environments\.prod\.freezes\[1\]\.oneTimeWindows\[0\]\.start: expected a local date and time like "2026-12-18 17:00"/,
    );
    expect(issueLines(['startTime: "16:00"', 'startTime: "4pm"'])[0]).toContain(
      'expected a time like "16:00"',
    );
    expect(issueLines(['daysOfWeek: [FRIDAY]', 'daysOfWeek: [friday]'])[0]).toMatch(
      /^environments\.prod\.freezes\[0\]\.weeklyWindows\[0\]\.daysOfWeek\[0\]: expected one of "MONDAY"/,
    );
  });

  it('a freeze with no window, one that never ends, and two of one name', () => {
    expect(
      issueLines([
        `${WEEKEND}
        weeklyWindows:`,
        `${WEEKEND}
        weeklyWindowz:`,
      ]),
    ).toContain(
      'environments.prod.freezes[0]: expected oneTimeWindows, weeklyWindows or both: a freeze with no window freezes nothing',
    );
    expect(
      issueLines([
        'daysOfWeek: [SATURDAY, SUNDAY]',
        'daysOfWeek: [MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY]',
      ]),
    ).toEqual([
      'environments.prod.freezes[0].weeklyWindows: these weekly windows cover the whole week, so deploys would never open: use `/deploy lock` for a freeze until further notice',
    ]);
    expect(issueLines(['- name: year-end', '- name: weekend'])).toEqual([
      'environments.prod.freezes[1].name: a second freeze named "weekend"',
    ]);
  });

  it("a service's own freeze is added to its environment's, under a name of its own", () => {
    const serviceFreeze = `cloudRunService: openagents-control-service
        freezes:
          - name: NAME
            timeZone: Europe/Paris
            oneTimeWindows: [{ start: "2026-07-01", end: "2026-07-02" }]`;
    expect(
      issueLines([
        'cloudRunService: openagents-control-service\n',
        `${serviceFreeze}\n`.replace('NAME', 'weekend'),
      ]),
    ).toEqual([
      'services.control.environments.prod.freezes[0].name: environments.prod.freezes has a freeze named "weekend" already: give this one its own name',
    ]);
    const text = EXAMPLE.replace(
      'cloudRunService: openagents-control-service\n',
      `${serviceFreeze.replace('NAME', 'launch')}\n`,
    );
    const parsed = parseConfig(text, 'ok.yaml');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    expect(freezesOf(parsed.config, 'control', 'prod').map((f) => f.name)).toEqual([
      'weekend',
      'year-end',
      'launch',
    ]);
  });
});
