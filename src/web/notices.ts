/**
 * One-line confirmations after a form redirects (`?notice=code`). Only these
 * fixed texts can appear: a query parameter never puts its own words on the page.
 */
const NOTICES: Record<string, string> = {
  'signed-out': 'You are signed out.',
  'password-changed': 'Your password is changed. Other sessions were signed out.',
  'password-set': 'Your password is set. Welcome!',
  'sessions-ended': 'Your other sessions are signed out.',
  'welcome': 'Your account is ready. Create a team to start, or ask to be invited to one.',
  'team-created': 'Team created. Add a project to get a DSN.',
  'team-renamed': 'Team renamed.',
  'team-deleted': 'Team deleted.',
  'team-joined': 'You joined the team.',
  'team-left': 'You left the team.',
  'role-changed': 'Role changed.',
  'member-removed': 'Member removed.',
  'invitation-revoked': 'Invitation revoked.',
  'project-created': 'Project created. Point an SDK at its DSN below.',
  'project-renamed': 'Project renamed.',
  'project-moved': 'Project moved to another team.',
  'project-deleted': 'Project deleted, with its issues and events.',
  'key-added': 'Key added. Ingest accepts it within a few seconds.',
  'key-disabled': 'Key disabled. Ingest refuses it within a few seconds.',
  'key-enabled': 'Key enabled. Ingest accepts it within a few seconds.',
  'key-rotated': 'Key rotated: a new DSN replaces the old one, which is now disabled.',
  'user-updated': 'User updated.',
  'user-deleted': 'User deleted.',
  'issue-resolved': 'Issue resolved.',
  'issue-muted': 'Issue muted.',
  'issue-reopened': 'Issue is unresolved again.',
  'issue-deleted': 'Issue deleted, with its events.',
  'issues-resolve': 'The selected issues are resolved.',
  'issues-mute': 'The selected issues are muted.',
  'issues-reopen': 'The selected issues are unresolved again.',
  'issues-delete': 'The selected issues are deleted, with their events.',
  'alerts-saved': 'Alert settings saved.',
  'verification-sent': 'A verification link is on its way to your address.',
  'verification-recent': 'A verification link went out a few minutes ago; look for it in your mail.',
  'email-verified': 'Your address is verified: alert mails will reach you.',
};

export function noticeText(code: string): string | undefined {
  return Object.hasOwn(NOTICES, code) ? NOTICES[code] : undefined;
}
