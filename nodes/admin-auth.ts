// Permission checks for the package's admin routes that tell the two failures apart: no or a bad
// token is 401 (Node-RED's own check), a good token without the permission is 403. Node-RED's
// needsPermission answers 401 for both.
import type { NodeAPI } from 'node-red';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Node-RED's rule for a user's scope and a permission: "*" allows all; "read" or "*.read" allows
 * every "x.read"; "write" likewise; otherwise the permission itself; a list allows what any of
 * its entries allows.
 */
export function scopeAllows(scope: unknown, permission: string): boolean {
  if (Array.isArray(scope)) return scope.some((s) => scopeAllows(s, permission));
  if (scope === '*' || scope === permission) return true;
  if (scope === 'read' || scope === '*.read') return /^((.+)\.)?read$/.test(permission);
  if (scope === 'write' || scope === '*.write') return /^((.+)\.)?write$/.test(permission);
  return false;
}

/** Middleware for a route that needs `permission`: 401 without a valid token, 403 without the permission. */
export function requirePermission(RED: NodeAPI, permission: string): RequestHandler[] {
  const authenticated = RED.auth.needsPermission('') as RequestHandler;
  const permitted: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
    const scope = (req as Request & { authInfo?: { scope?: unknown } }).authInfo?.scope;
    if (!RED.settings.adminAuth || scopeAllows(scope, permission)) return next();
    res.status(403).json({ error: `this needs the permission ${permission}` });
  };
  return [authenticated, permitted];
}
