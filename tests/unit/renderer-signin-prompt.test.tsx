// @vitest-environment jsdom
/**
 * The sign-in prompt: a delegated sign-in the service is waiting for is shown with what the admin
 * needs (the device code and where to enter it, or the link to the sign-in page) and disappears
 * when the service says the sign-in finished; another profile's prompt stays.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, render, screen } from '@testing-library/react';
import { SignInPrompt } from '../../renderer/src/components/SignInPrompt';
import { FakeApi } from '../support/fake-api';

afterEach(cleanup);

describe('SignInPrompt', () => {
  it('shows the device code and the interactive link until each sign-in finishes', () => {
    const api = new FakeApi();
    render(<SignInPrompt api={api} profileName={(id) => (id === 'p1' ? 'Contoso' : 'Fabrikam')} />);
    expect(screen.queryByTestId('signin-prompt')).toBeNull();

    act(() => api.emit('auth.deviceCode', { profileId: 'p1', userCode: 'ABCD-1234', verificationUri: 'https://microsoft.com/devicelogin', message: 'To sign in…' }));
    expect(screen.getByTestId('signin-prompt').textContent).toContain('Sign in to Contoso');
    expect(screen.getByTestId('signin-code').textContent).toBe('ABCD-1234');
    expect(screen.getByTestId('signin-link').getAttribute('href')).toBe('https://microsoft.com/devicelogin');

    const url = 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize?client_id=x&code_challenge=y';
    act(() => api.emit('auth.signInUrl', { profileId: 'p2', url }));
    const prompts = screen.getAllByTestId('signin-prompt');
    expect(prompts).toHaveLength(2);
    const link = prompts[1]!.querySelector('a')!;
    expect(link.getAttribute('href')).toBe(url);
    expect(link.getAttribute('target')).toBe('_blank');
    expect(link.getAttribute('rel')).toContain('noopener');

    act(() => api.emit('auth.signedIn', { profileId: 'p1', account: 'admin@contoso.com' }));
    expect(screen.getAllByTestId('signin-prompt')).toHaveLength(1);
    expect(screen.getByTestId('signin-prompt').textContent).toContain('Sign in to Fabrikam');
    act(() => api.emit('auth.signedIn', { profileId: 'p2', account: null }));
    expect(screen.queryByTestId('signin-prompt')).toBeNull();
  });
});
