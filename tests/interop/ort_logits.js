// Runs an exported ONNX model in ONNX Runtime (onnxruntime-node) on a whole IDX test set and
// compares every image's logits with `bitblock eval --model --logits`:
//   node ort_logits.js <onnxruntime-node dir> <model.onnx> <images idx[.gz]> <labels idx[.gz]>
//                      <expected logits csv> <ORT logits csv to write>
// "logits_int64" must equal the expected integers and "logits" (float32) must equal them cast to
// float32 (Math.fround), for every image. Prints the counts and the accuracy; exit 1 on a mismatch.
'use strict';
const fs = require('fs');
const zlib = require('zlib');

const [ortDir, modelPath, imagesPath, labelsPath, expectedPath, outPath] = process.argv.slice(2);
const ort = require(require('path').resolve(ortDir));

function readIdx(path) {
  let b = fs.readFileSync(path);
  if (path.endsWith('.gz')) b = zlib.gunzipSync(b);
  const dims = b[3];
  const shape = [];
  for (let i = 0; i < dims; ++i) shape.push(b.readUInt32BE(4 + 4 * i));
  return { shape, data: b.subarray(4 + 4 * dims) };
}

async function main() {
  const images = readIdx(imagesPath), labels = readIdx(labelsPath);
  const [count, h, w] = images.shape;
  const expected = fs.readFileSync(expectedPath, 'utf8').trim().split('\n').map((l) => l.split(',').map(BigInt));
  if (expected.length !== count) throw new Error(`${expectedPath}: ${expected.length} rows for ${count} images`);
  const session = await ort.InferenceSession.create(modelPath, { logSeverityLevel: 3 });
  const batch = 500;
  let intMismatch = 0, floatMismatch = 0, right = 0;
  const rows = [];
  for (let first = 0; first < count; first += batch) {
    const n = Math.min(batch, count - first);
    const pixels = Float32Array.from(images.data.subarray(first * h * w, (first + n) * h * w));
    const out = await session.run({ pixels: new ort.Tensor('float32', pixels, [n, 1, h, w]) });
    const li = out.logits_int64, lf = out.logits;
    const classes = li.dims[1];
    for (let i = 0; i < n; ++i) {
      const want = expected[first + i];
      if (want.length !== classes) throw new Error(`${expectedPath}: row ${first + i} has ${want.length} logits, model ${classes}`);
      let best = 0;
      const row = [];
      for (let c = 0; c < classes; ++c) {
        const v = li.data[i * classes + c];
        row.push(v.toString());
        if (v !== want[c]) ++intMismatch;
        if (lf.data[i * classes + c] !== Math.fround(Number(want[c]))) ++floatMismatch;
        if (v > li.data[i * classes + best]) best = c;
      }
      rows.push(row.join(','));
      if (best === labels.data[first + i]) ++right;
    }
  }
  fs.writeFileSync(outPath, rows.join('\n') + '\n');
  console.log(`${modelPath}: ${count} images, logits_int64 mismatches ${intMismatch}, logits (float32) mismatches ` +
              `${floatMismatch}, ONNX Runtime ${ort.env.versions ? ort.env.versions.common : ''} accuracy ` +
              `${(100 * right / count).toFixed(2)}%`);
  if (intMismatch || floatMismatch) process.exit(1);
}

main().catch((e) => { console.error(e.message); process.exit(1); });
