// .bbm model files: round trip, packed size, and every kind of bad file -> InputError naming
// the file (and the blob where there is one).
#include <gtest/gtest.h>

#include <zlib.h>

#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/model/infer.hpp"
#include "bitblock/model/model_file.hpp"
#include "model/model_bytes.hpp"
#include "model/random_network.hpp"

namespace bitblock::testing {
namespace {

using model::ActKind;
using nlohmann::json;
using model_bytes::blob_entry;
using model_bytes::join;
using model_bytes::join_text;
using model_bytes::patch_blob;
using model_bytes::split;
using model_bytes::Split;

std::string temp_path(const std::string& name) { return std::string(BITBLOCK_BINARY_DIR) + "/test_model_file_" + name; }

RandomModel small_model() {
  StageSpec conv = stage_spec(model::OpKind::Conv, 4, 3, 2, 3, 0.7, ActKind::Unsigned, 2);
  conv.pool = {2, 2, model::PoolPlacement::Acc};
  return random_model({1, 8, 8}, model::InputMode::Centered,
                      {conv, stage_spec(model::OpKind::Dense, 13, 1, 3, 5, 0.5, ActKind::Sign, 1),
                       stage_spec(model::OpKind::Dense, 5, 8, 1, 1, 0.5, ActKind::None, 32)},
                      11);
}

void expect_bad(const std::string& bytes, const std::string& name, const std::string& fragment) {
  const std::string path = temp_path(name);
  write_file_atomic(path, bytes);
  try {
    model::load_model(path);
    FAIL() << name << ": loaded without error";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind(path, 0), 0u) << "message does not start with the file name: " << what;
    EXPECT_NE(what.find(fragment), std::string::npos) << "expected '" << fragment << "' in: " << what;
  }
}

TEST(ModelFile, RoundTripKeepsEverything) {
  RandomModel m = small_model();
  m.net.training = {{"epochs", 3}, {"note", "x"}};
  m.net.stages[0].constraint = {model::Sparsity::Block, true, false, 2.0};
  const std::string path = temp_path("roundtrip.bbm");
  model::save_model({m.net, 0}, path);
  const model::ModelFile back = model::load_model(path);
  const model::Network& n = back.network;
  EXPECT_EQ(back.file_bytes, static_cast<int64_t>(read_file(path).size()));
  EXPECT_EQ(n.dataset, m.net.dataset);
  EXPECT_EQ(n.input_mode, m.net.input_mode);
  EXPECT_DOUBLE_EQ(n.input_scale, m.net.input_scale);
  EXPECT_EQ(n.training, m.net.training);
  ASSERT_EQ(n.stages.size(), m.net.stages.size());
  for (size_t k = 0; k < n.stages.size(); ++k) {
    const model::Stage &a = n.stages[k], &b = m.net.stages[k];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.op, b.op);
    EXPECT_EQ(a.weights.packed, b.weights.packed);
    EXPECT_EQ(a.weights.layout.block_row_ptr, b.weights.layout.block_row_ptr);
    EXPECT_EQ(a.weights.layout.block_col_idx, b.weights.layout.block_col_idx);
    EXPECT_EQ(a.weights.row_scales, b.weights.row_scales);
    EXPECT_EQ(a.mult, b.mult);
    EXPECT_EQ(a.bias, b.bias);
    EXPECT_EQ(a.shift, b.shift);
    EXPECT_EQ(a.pool.size, b.pool.size);
    EXPECT_EQ(a.pool.placement, b.pool.placement);
    EXPECT_EQ(a.act, b.act);
    EXPECT_EQ(a.constraint.structure, b.constraint.structure);
    EXPECT_EQ(a.constraint.magnitude, b.constraint.magnitude);
    EXPECT_EQ(a.constraint.per_row_scales, b.constraint.per_row_scales);
    EXPECT_EQ(a.constraint.ratio, b.constraint.ratio);
  }
  const std::vector<uint8_t> images = random_images(20, 64, 3);
  EXPECT_EQ(model::run_inference(n, images.data(), 20).logits, model::run_inference(m.net, images.data(), 20).logits);
}

TEST(ModelFile, BlobsAreAlignedAndSizeReflectsPacking) {
  // 784-1024 with 3-bit 8x8 blocks, 1 in 8 kept: the codes are ~37 KB; a dense int8 copy
  // alone would be 784 KB.
  const RandomModel m = random_model({1, 28, 28}, model::InputMode::Pixel,
                                     {stage_spec(model::OpKind::Dense, 1024, 3, 8, 8, 0.125, ActKind::Sign, 1),
                                      stage_spec(model::OpKind::Dense, 10, 3, 8, 8, 1.0, ActKind::None, 32)},
                                     12);
  const std::string bytes = model::serialize_model(m.net);
  const Split s = split(bytes);
  int64_t payload = 0;
  for (const json& b : s.header["blobs"]) {
    EXPECT_EQ(b["offset"].get<int64_t>() % 64, 0);
    payload += b["size"].get<int64_t>();
  }
  EXPECT_EQ((bytes.size() - s.data.size()) % 64, 0u);
  EXPECT_LT(static_cast<int64_t>(bytes.size()), payload + 64 * 12 + static_cast<int64_t>(s.header.dump().size()) + 80);
  EXPECT_LT(bytes.size(), 784u * 1024u / 10u);
}

TEST(ModelFile, BadMagicVersionAndJson) {
  const std::string good = model::serialize_model(small_model().net);
  std::string b = good;
  b[0] = 'X';
  expect_bad(b, "magic.bbm", "bad magic");
  b = good;
  b[4] = 7;
  expect_bad(b, "version.bbm", "unsupported model file version 7");
  Split s = split(good);
  expect_bad(join_text("{\"format\": " + s.header.dump(), s.data), "json.bbm", "invalid JSON");
  s.header["stages"][1].erase("activation");
  expect_bad(join(s), "missing_key.bbm", "activation");
  expect_bad("BB", "tiny.bbm", "bad magic");
}

TEST(ModelFile, Truncation) {
  const std::string good = model::serialize_model(small_model().net);
  expect_bad(good.substr(0, 12), "trunc_prefix.bbm", "truncated");
  expect_bad(good.substr(0, 6), "trunc_version.bbm", "truncated");
  expect_bad(good.substr(0, 100), "trunc_header.bbm", "truncated: the JSON header");
  const Split s = split(good);
  const json last = s.header["blobs"].back();
  expect_bad(good.substr(0, good.size() - 1), "trunc_blob.bbm", "truncated: blob '" + last["name"].get<std::string>() + "'");
}

TEST(ModelFile, CrcMismatchNamesTheBlob) {
  const std::string good = model::serialize_model(small_model().net);
  Split s = split(good);
  const size_t off = blob_entry(s.header, "stage1.codes")["offset"].get<size_t>();
  s.data[off] = static_cast<char>(s.data[off] ^ 0x10);
  expect_bad(join(s), "crc.bbm", "CRC mismatch in blob 'stage1.codes'");
}

TEST(ModelFile, HeaderBlobDisagreement) {
  const std::string good = model::serialize_model(small_model().net);
  {  // header claims one kept block more than the blobs hold
    Split s = split(good);
    s.header["stages"][1]["weights"]["kept_blocks"] = s.header["stages"][1]["weights"]["kept_blocks"].get<int>() + 1;
    expect_bad(join(s), "kept.bbm", "blob 'stage1.block_col_idx' has");
  }
  {  // more output channels than multipliers
    Split s = split(good);
    s.header["stages"][2]["weights"]["rows"] = 6;
    expect_bad(join(s), "rows.bbm", "blob 'stage2.");
  }
  {  // block pointers that do not span the index array (CRC fixed up)
    Split s = split(good);
    const int32_t bad = 0x7fff;
    patch_blob(s, "stage1.block_row_ptr", 4, &bad, 4);
    expect_bad(join(s), "ptr.bbm", "stage 1 block index");
  }
  {  // block column index out of range
    Split s = split(good);
    const int32_t bad = 1000;
    patch_blob(s, "stage1.block_col_idx", 0, &bad, 4);
    expect_bad(join(s), "idx.bbm", "out of range");
  }
  {  // codes in positions readers ignore (stage 1 is 13 x 64 in 3x5 blocks: its last block-row is
     // ragged, so the stream's last byte lies outside the matrix or past the last code)
    Split s = split(good);
    const uint8_t ones = 0xff;
    patch_blob(s, "stage1.codes", blob_entry(s.header, "stage1.codes")["size"].get<size_t>() - 1, &ones, 1);
    expect_bad(join(s), "codes.bbm", "blob 'stage1.codes'");
  }
  {  // output shape in the header disagrees with the op
    Split s = split(good);
    s.header["stages"][0]["output"] = json::array({4, 3, 3});
    expect_bad(join(s), "output.bbm", "output shape");
  }
  {  // shape chain broken
    Split s = split(good);
    s.header["input"]["shape"] = json::array({1, 9, 8});
    expect_bad(join(s), "chain.bbm", "stage 0");
  }
}

// --- Hostile files (issue 14): each of these crashed, loaded wrong numbers or broke a limit before.

TEST(ModelFile, HugeBlobOffsetOrSizeIsTruncationNotACrash) {
  const std::string good = model::serialize_model(small_model().net);
  for (const auto& [offset, size] : {std::pair<int64_t, int64_t>{int64_t{1} << 62, int64_t{1} << 62},
                                     {0, INT64_MAX}, {INT64_MAX - 63, 64}}) {
    Split s = split(good);
    json& b = blob_entry(s.header, "stage0.codes");
    b["offset"] = offset;
    b["size"] = size;
    expect_bad(join(s), "huge_blob.bbm", "truncated: blob 'stage0.codes'");
  }
  Split s = split(good);
  blob_entry(s.header, "stage0.codes")["size"] = 18446744073709551615ull;
  expect_bad(join(s), "huge_unsigned.bbm", "is outside 0..");
}

TEST(ModelFile, DeeplyNestedHeaderIsAnErrorNotACrash) {
  Split s = split(model::serialize_model(small_model().net));
  std::string text = s.header.dump();
  const std::string key = "\"training\":";
  text.insert(text.find(key) + key.size(), std::string(300000, '[') + std::string(300000, ']') + ",\"x\":");
  expect_bad(join_text(text, s.data), "deep.bbm", "nested deeper than 64 levels");
}

TEST(ModelFile, OneFlippedBitInTheHeaderIsCaught) {
  const std::string good = model::serialize_model(small_model().net);
  const size_t at = good.find("\"shift\":") + 8;  // the first digit of stage 0's shift
  std::string b = good;
  b[at] = static_cast<char>(b[at] ^ 0x01);
  expect_bad(b, "flip.bbm", "CRC mismatch in the JSON header");
  b = good;
  b[17] = static_cast<char>(b[17] ^ 0x40);  // the stored CRC itself
  expect_bad(b, "flip_crc.bbm", "CRC mismatch in the JSON header");
}

TEST(ModelFile, MemoryNumbersAreRecomputedNotTrusted) {
  Split s = split(model::serialize_model(small_model().net));
  s.header["stages"][1]["memory"]["value_bits"] = 1;
  expect_bad(join(s), "memory.bbm", "stage 1: memory: the header says");
  s = split(model::serialize_model(small_model().net));
  s.header["stages"][1]["constraints"]["scale"] = "per_layer";  // scale bits change, memory no longer matches
  expect_bad(join(s), "memory_scale.bbm", "stage 1: memory");
}

TEST(ModelFile, IntegersMustBeIntegersInRange) {
  const std::string good = model::serialize_model(small_model().net);
  Split s = split(good);
  s.header["stages"][0]["kernel"] = 1e20;
  expect_bad(join(s), "float_kernel.bbm", "kernel: expected an integer");
  s = split(good);
  s.header["stages"][0]["input"] = json::array({1, int64_t{1} << 40, 8});
  expect_bad(join(s), "wide.bbm", "input: 1099511627776 is outside");
  s = split(good);
  s.header["stages"][0]["weights"]["rows"] = int64_t{1} << 62;
  expect_bad(join(s), "int_rows.bbm", "too large");
  s = split(good);
  s.header["stages"][0]["stride"] = 1 << 20;
  expect_bad(join(s), "stride.bbm", "conv needs");
  s = split(good);
  s.header["num_classes"] = -5;
  expect_bad(join(s), "classes.bbm", "num_classes: -5 is outside");
  s = split(good);
  s.header["input"]["scale"] = "0.5";
  expect_bad(join(s), "int_scale.bbm", "scale: expected a number");
}

TEST(ModelFile, DuplicateKeysUnusedBlobsAndWrongConstraints) {
  const std::string good = model::serialize_model(small_model().net);
  Split s = split(good);
  std::string text = s.header.dump();
  const std::string shift = "\"shift\":";
  text.insert(text.find(shift), "\"shift\":0,");
  expect_bad(join_text(text, s.data), "dup.bbm", "key 'shift' appears twice");
  s = split(good);
  json extra = blob_entry(s.header, "stage0.mult");
  extra["name"] = "stage9.mult";
  extra["size"] = 0;  // empty: no bytes shared with stage0.mult (overlaps are their own error)
  extra["crc32"] = 0;
  s.header["blobs"].push_back(extra);
  expect_bad(join(s), "extra.bbm", "blob 'stage9.mult' belongs to no stage");
  s = split(good);
  s.header["stages"][1]["constraints"]["structure"] = "row";  // stage 1 has 3x5 blocks
  expect_bad(join(s), "structure.bbm", "constraint structure row does not match the weights (3x5 blocks");
  s = split(good);
  s.header["stages"][1]["constraints"]["bits"] = 2;
  expect_bad(join(s), "cbits.bbm", "bits 2 differ from the weights' 1");
  s = split(good);
  s.header["stages"][1]["constraints"]["ratio"] = 0.5;
  expect_bad(join(s), "ratio.bbm", "ratio must be a finite number >= 1");
}

TEST(ModelFile, VersionOneFilesSayHowToReExport) {
  Split s = split(model::serialize_model(small_model().net));
  expect_bad(join_text(s.header.dump(), s.data, 1), "old.bbm",
             "model file version 1 (its header has no checksum) is no longer read; re-export it from its run's "
             "checkpoint: bitblock export --checkpoint <run>/checkpoint.bbc --out");
}

TEST(ModelFile, FiveToSevenBitWeightsRoundTrip) {
  for (int bits : {5, 6, 7}) {
    const RandomModel m = random_model({1, 6, 6}, model::InputMode::Pixel,
                                       {stage_spec(model::OpKind::Dense, 9, bits, 2, 4, 0.6, ActKind::Unsigned, 4),
                                        stage_spec(model::OpKind::Dense, 3, bits, 1, 1, 0.8, ActKind::None, 32)},
                                       40 + bits);
    const model::ModelFile back = model::parse_model(model::serialize_model(m.net), "m.bbm");
    EXPECT_EQ(back.network.stages[0].weights.bits, bits);
    EXPECT_EQ(back.network.stages[0].weights.packed, m.net.stages[0].weights.packed);
    const std::vector<uint8_t> images = random_images(10, 36, 5);
    EXPECT_EQ(model::run_inference(back.network, images.data(), 10).logits,
              model::run_inference(m.net, images.data(), 10).logits);
  }
}

}  // namespace
}  // namespace bitblock::testing
