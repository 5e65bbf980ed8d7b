/**
 * What a delegated sign-in needs from the admin, shown until it is done: the device code with the
 * address to enter it at, or the link to the sign-in page for an interactive sign-in (opened in the
 * system browser: Electron hands https links to the OS; in a browser it is a new tab). The service
 * waits for the answer; this only shows the way.
 */
import { useEffect, useState } from 'react';
import type { EventPayload, SyncDriftApi } from '../../../preload/contract';

type Prompt =
  | { kind: 'device-code'; profileId: string; userCode: string; verificationUri: string }
  | { kind: 'link'; profileId: string; url: string };

export function SignInPrompt({ api, profileName }: { api: SyncDriftApi; profileName: (profileId: string) => string }) {
  const [prompts, setPrompts] = useState<Prompt[]>([]);
  const [copied, setCopied] = useState(false);

  useEffect(() => {
    const replace = (p: Prompt) => setPrompts((all) => [...all.filter((x) => x.profileId !== p.profileId), p]);
    const offCode = api.on('auth.deviceCode', (e: EventPayload<'auth.deviceCode'>) => replace({ kind: 'device-code', profileId: e.profileId, userCode: e.userCode, verificationUri: e.verificationUri }));
    const offUrl = api.on('auth.signInUrl', (e: EventPayload<'auth.signInUrl'>) => replace({ kind: 'link', profileId: e.profileId, url: e.url }));
    const offDone = api.on('auth.signedIn', (e: EventPayload<'auth.signedIn'>) => setPrompts((all) => all.filter((x) => x.profileId !== e.profileId)));
    return () => {
      offCode();
      offUrl();
      offDone();
    };
  }, [api]);

  if (prompts.length === 0) return null;
  return (
    <div className="signin-prompts" role="region" aria-label="Sign-in needed">
      {prompts.map((p) => (
        <div key={p.profileId} className="signin-prompt" role="status" data-testid="signin-prompt">
          <strong>Sign in to {profileName(p.profileId)}</strong>
          {p.kind === 'device-code' ? (
            <span>
              Open{' '}
              <a href={p.verificationUri} target="_blank" rel="noopener noreferrer" data-testid="signin-link">
                {p.verificationUri}
              </a>{' '}
              and enter the code <code data-testid="signin-code">{p.userCode}</code>{' '}
              <button
                type="button"
                onClick={() => {
                  void navigator.clipboard?.writeText(p.userCode).then(() => setCopied(true));
                }}
              >
                {copied ? 'Copied' : 'Copy code'}
              </button>
            </span>
          ) : (
            <span>
              <a href={p.url} target="_blank" rel="noopener noreferrer" data-testid="signin-link">
                Open the sign-in page
              </a>{' '}
              in your browser; the workbench continues when you have signed in.
            </span>
          )}
        </div>
      ))}
    </div>
  );
}
