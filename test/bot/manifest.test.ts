import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ACTIONS } from '../../src/blocks/actions.ts';
import { COMMANDS } from '../../src/commands/register.ts';

// manifest.yaml must let a user create the app in one step: every command the code registers, the
// scopes the bot's calls need, the events it listens to, and interactivity on for its buttons.

interface Manifest {
  features: { slash_commands: { command: string; url: string }[]; app_home: { home_tab_enabled: boolean } };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    event_subscriptions: { request_url: string; bot_events: string[] };
    interactivity: { is_enabled: boolean; request_url: string };
  };
}

describe('manifest.yaml', () => {
  it('lists exactly the commands the code registers, each pointing at the Bolt endpoint', async () => {
    const manifest = parse(await readFile('manifest.yaml', 'utf8')) as Manifest;
    const commands = manifest.features.slash_commands.map((c) => c.command).sort();
    expect(commands).toEqual([...COMMANDS].sort());
    for (const c of manifest.features.slash_commands) expect(c.url).toMatch(/\/slack\/events$/);
  });

  it('has the scopes, events and interactivity the bot uses', async () => {
    const manifest = parse(await readFile('manifest.yaml', 'utf8')) as Manifest;
    expect(manifest.oauth_config.scopes.bot).toEqual(
      expect.arrayContaining([
        'commands',
        'chat:write',
        'usergroups:read',
        'files:write',
        'channels:history',
      ]),
    );
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(
      expect.arrayContaining(['app_home_opened', 'message.channels']),
    );
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    expect(manifest.settings.interactivity).toMatchObject({ is_enabled: true });
    expect(Object.values(ACTIONS).length).toBeGreaterThan(0); // buttons exist, so interactivity is needed
  });
});
