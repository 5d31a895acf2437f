import { createHash } from 'node:crypto';
import { Router } from 'express';

/*
 * The page assets, served from /adfs/portal/ like AD FS's, so pages need no inline script and the
 * CSP can stay `script-src 'self'`. The pages work without them (no-JS fallback buttons).
 */
// A sign-out page posts on only once its cleanup frames have loaded (the load event waits for them).
const AUTOPOST_JS = `(function () {
  function post() {
    var f = document.querySelector('form[data-autopost]');
    if (f) { f.classList.add('posting'); f.submit(); }
  }
  if (document.querySelector('iframe.cleanup')) window.addEventListener('load', post);
  else document.addEventListener('DOMContentLoaded', post);
})();
`;

const brandless = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f3f4f6;color:#111827}
main{max-width:26rem;margin:8vh auto;background:#fff;padding:2rem;border-radius:.5rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.5rem;margin:.5rem 0 1rem}label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input[type=text],input[type=email],input[type=password]{width:100%;padding:.6rem;border:1px solid #6b7280;border-radius:.25rem;font:inherit}
input:focus,button:focus,a:focus{outline:3px solid var(--accent);outline-offset:2px}
button{margin-top:1.25rem;width:100%;padding:.7rem;border:0;border-radius:.25rem;background:var(--accent);color:#fff;font:inherit;font-weight:600;cursor:pointer}
.error{background:#fef2f2;border:1px solid #b91c1c;color:#7f1d1d;padding:.75rem;border-radius:.25rem}
.check{display:flex;gap:.5rem;align-items:center;font-weight:400}.logo{max-height:3rem}.help{color:#374151;font-size:.9rem}
.posting .manual{display:none}img.qr{display:block;margin:.5rem auto;image-rendering:pixelated}code{font-size:1.05rem;letter-spacing:.05em}iframe.cleanup{width:0;height:0;border:0;position:absolute}
.alternative a{display:block;margin-top:.75rem;padding:.65rem;border:1px solid var(--accent);border-radius:.25rem;text-align:center;color:var(--accent);font-weight:600;text-decoration:none}
`;

export const STYLE_CSS = brandless;

const etag = (s: string) => `"${createHash('sha256').update(s).digest('base64url').slice(0, 16)}"`;

export function assetsRouter(): Router {
  const r = Router();
  const serve = (path: string, type: string, body: string) => {
    const tag = etag(body);
    r.get(path, (req, res) => {
      res.set('Cache-Control', 'public, max-age=3600').set('ETag', tag).type(type);
      if (req.headers['if-none-match'] === tag) res.status(304).end();
      else res.send(body);
    });
  };
  serve('/adfs/portal/js/autopost.js', 'application/javascript', AUTOPOST_JS);
  serve('/adfs/portal/css/style.css', 'text/css', STYLE_CSS);
  return r;
}
