/**
 * Authorization: who may see and change which team and project. Every web route
 * that names a team or project goes through here.
 *
 * - A member of a team sees the team and its projects; an admin also changes them.
 * - A superuser is an admin everywhere, and alone sees projects without a team.
 * - Anything the viewer may not see is "not found", never "forbidden": a 403
 *   would confirm that the id or slug exists.
 */
import type { MainDb } from '../db/open.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import { getProject, type Project } from '../projects/projects.js';
import { roleIn, teamById, teamBySlug, type Team, type TeamRole } from '../teams/teams.js';

export interface Viewer {
  readonly id: number;
  readonly email: string;
  readonly isSuperuser: boolean;
}

export interface TeamAccess {
  readonly team: Team;
  /** The viewer's effective role: a superuser counts as admin. */
  readonly role: TeamRole;
  /** The viewer's own membership role, if any (a superuser may have none). */
  readonly membership: TeamRole | undefined;
}

export interface ProjectAccess {
  readonly project: Project;
  readonly team: Team | undefined;
  readonly role: TeamRole;
}

export function teamAccess(db: MainDb, viewer: Viewer, slug: string): TeamAccess {
  const team = teamBySlug(db, slug);
  if (!team) throw new NotFoundError('no such team');
  const membership = roleIn(db, team.id, viewer.id);
  if (viewer.isSuperuser) return { team, role: 'admin', membership };
  if (!membership) throw new NotFoundError('no such team');
  return { team, role: membership, membership };
}

export function projectAccess(db: MainDb, viewer: Viewer, projectId: number): ProjectAccess {
  const project = Number.isSafeInteger(projectId) ? getProject(db, projectId) : undefined;
  if (!project) throw new NotFoundError('no such project');
  const team = project.teamId === null ? undefined : teamById(db, project.teamId);
  if (viewer.isSuperuser) return { project, team, role: 'admin' };
  const role = team && roleIn(db, team.id, viewer.id);
  if (!role) throw new NotFoundError('no such project');
  return { project, team, role };
}

/** For actions that change a team or project: members may look, admins may change. */
export function requireAdmin(access: { role: TeamRole }, action: string): void {
  if (access.role !== 'admin') throw new ForbiddenError(`only a team admin can ${action}`);
}
