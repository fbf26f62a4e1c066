// The document a message's HTML is shown in. The frame it goes into is sandboxed with
// no permissions (no scripts, an opaque origin, so no Tauri API), and this document
// carries its own CSP: nothing may load from the network until the user allows images,
// and even then only images. Inline (cid:) images arrive already embedded as data: URLs.

const common = "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'";

/** Images embedded in the message only: remote ones would tell the sender it was read. */
export const blockedImagesPolicy = `${common}; img-src data:`;
export const remoteImagesPolicy = `${common}; img-src data: https: http:`;

function escapeAttribute(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}

/**
 * A complete HTML document for `srcdoc`. The CSP meta comes first, before anything the
 * message brings, so it applies to every element of the body.
 */
export function messageDocument(html: string, allowRemoteImages: boolean): string {
  const policy = allowRemoteImages ? remoteImagesPolicy : blockedImagesPolicy;
  return (
    `<!doctype html><html><head>` +
    `<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(policy)}">` +
    `<meta charset="utf-8"><meta name="referrer" content="no-referrer">` +
    // Mail is written for a white page; the frame keeps it that way in dark mode too.
    `<style>html{background:#fff;color:#1b1b1f}body{margin:16px;font:14px/1.5 -apple-system,` +
    `"Segoe UI","Noto Sans",sans-serif;overflow-wrap:anywhere}img{max-width:100%;height:auto}` +
    `a{color:#3049c0}</style>` +
    `</head><body>${html}</body></html>`
  );
}
