import express, { Router, type RequestHandler } from 'express';
import { ChangePasswordForm } from '../signin/change-password.js';

/** `/adfs/portal/updatepassword/` (ARCHITECTURE.md endpoints): AD FS's change-password page. */
export function changePasswordRouter(deps: ConstructorParameters<typeof ChangePasswordForm>[0] & { rateLimit: RequestHandler }): Router {
  const form = new ChangePasswordForm(deps);
  const r = Router();
  const paths = ['/adfs/portal/updatepassword', '/adfs/portal/updatepassword/'];
  r.get(paths, (req, res) => form.show(req, res));
  r.post(paths, deps.rateLimit, express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }), (req, res) => form.submit(req, res));
  return r;
}
