// Rasterises the marketplace icon (media/marketplace-icon.svg -> media/icon.png, 256x256) with sharp (librsvg).
// `node extension/scripts/render-icon.mjs`; run it after editing the SVG and commit both files.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const media = path.join(here, "..", "media");
// sharp comes with the server's dependencies (@huggingface/transformers); it is a tool here, not shipped.
const sharp = createRequire(import.meta.url)("sharp");
const info = await sharp(path.join(media, "marketplace-icon.svg"), { density: 288 })
  .resize(256, 256)
  .png({ compressionLevel: 9 })
  .toFile(path.join(media, "icon.png"));
console.log(`media/icon.png: ${info.width}x${info.height}, ${info.size} bytes`);
