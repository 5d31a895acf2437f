import { Router } from 'express';
import { MEX_PATH } from '../sts/protocols/wstrust/versions.js';
import { mexDocument } from './mex.js';

/** `GET /adfs/services/trust/mex` (ENTRA.md §6.6): built once, it changes only with the config. */
export function mexRouter(publicUrl: string): Router {
  const document = mexDocument(publicUrl);
  const r = Router();
  r.get(MEX_PATH, (_req, res) => {
    res.status(200).set('Cache-Control', 'public, max-age=3600').type('text/xml; charset=utf-8').send(document);
  });
  return r;
}
