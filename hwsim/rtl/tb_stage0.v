// Behavioural reference for verifying an RTL implementation against bitblock: loads the weight,
// index and parameter SRAM images and the golden vectors that `bitblock hwsim --emit-rtl DIR`
// writes (layout: hwsim/include/bitblock/hwsim/rtl_export.hpp), recomputes stage 0 of every
// image with a plain multiply-accumulate loop over the kept blocks, requantizes and activates
// (model/include/bitblock/model/network.hpp), and compares each output with golden_s0.hex.
// Dense stage 0 without pooling only (an MLP's first layer). Prints "PASS <images> images" or
// the first mismatch. Run in DIR:
//   iverilog -g2005 -I DIR -o DIR/tb.vvp hwsim/rtl/tb_stage0.v && (cd DIR && vvp tb.vvp)
`timescale 1ns / 1ps
module tb_stage0;
`include "tb_params.vh"

  reg [W_WORD-1:0] wmem[0:W_BANKS*W_DEPTH-1];
  reg [I_WORD-1:0] imem[0:I_BANKS*I_DEPTH-1];
  reg [P_WORD-1:0] pmem[0:P_BANKS*P_DEPTH-1];
  reg [15:0] xin[0:IMAGES*K-1];
  reg [15:0] gold16[0:IMAGES*OUT_SIZE-1];
  reg [63:0] gold64[0:IMAGES*OUT_SIZE-1];
  integer rp[0:NBR];
  integer col[0:KEPT];
  reg signed [63:0] acc[0:N-1];
  reg signed [63:0] mult[0:N-1];
  reg signed [63:0] bias[0:N-1];
  reg [8*32-1:0] fname;

  // Bit j of stage 0's stream in a memory: stream word i lies in bank i % BANKS at row
  // ROW0 + i / BANKS.
  function wbit(input integer j);
    reg [W_WORD-1:0] word;
    integer i;
    begin
      i = j / W_WORD;
      word = wmem[(i % W_BANKS) * W_DEPTH + W_ROW0 + i / W_BANKS];
      wbit = word[j % W_WORD];
    end
  endfunction
  function ibit(input integer j);
    reg [I_WORD-1:0] word;
    integer i;
    begin
      i = j / I_WORD;
      word = imem[(i % I_BANKS) * I_DEPTH + I_ROW0 + i / I_BANKS];
      ibit = word[j % I_WORD];
    end
  endfunction
  function pbit(input integer j);
    reg [P_WORD-1:0] word;
    integer i;
    begin
      i = j / P_WORD;
      word = pmem[(i % P_BANKS) * P_DEPTH + P_ROW0 + i / P_BANKS];
      pbit = word[j % P_WORD];
    end
  endfunction
  // n bits (LSB first) from stream bit `first`.
  function [63:0] wfield(input integer first, input integer n);
    integer t;
    begin
      wfield = 0;
      for (t = 0; t < n; t = t + 1) wfield[t] = wbit(first + t);
    end
  endfunction
  function [63:0] ifield(input integer first, input integer n);
    integer t;
    begin
      ifield = 0;
      for (t = 0; t < n; t = t + 1) ifield[t] = ibit(first + t);
    end
  endfunction
  function [63:0] pfield(input integer first, input integer n);
    integer t;
    begin
      pfield = 0;
      for (t = 0; t < n; t = t + 1) pfield[t] = pbit(first + t);
    end
  endfunction
  // Weight code number idx: two's complement of BITS bits; binary: 1 -> +1, 0 -> -1.
  function integer wcode(input integer idx);
    reg [63:0] f;
    begin
      f = wfield(idx * BITS, BITS);
      if (BITS == 1) wcode = f[0] ? 1 : -1;
      else if (f[BITS-1]) wcode = f - (64'd1 << BITS);
      else wcode = f;
    end
  endfunction

  integer img, i, b, r, c, j, row, x, pos, errors, want, got, b_lo;
  reg [63:0] f;
  reg signed [63:0] z, v, hi;
  initial begin
    if (!DENSE || POOLED) begin
      $display("UNSUPPORTED: this testbench checks a dense stage 0 without pooling");
      $finish;
    end
    for (b = 0; b < W_BANKS; b = b + 1) begin
      $sformat(fname, "weight_b%0d.hex", b);
      $readmemh(fname, wmem, b * W_DEPTH, (b + 1) * W_DEPTH - 1);
    end
    for (b = 0; b < I_BANKS; b = b + 1) begin
      $sformat(fname, "index_b%0d.hex", b);
      $readmemh(fname, imem, b * I_DEPTH, (b + 1) * I_DEPTH - 1);
    end
    for (b = 0; b < P_BANKS; b = b + 1) begin
      $sformat(fname, "param_b%0d.hex", b);
      $readmemh(fname, pmem, b * P_DEPTH, (b + 1) * P_DEPTH - 1);
    end
    $readmemh("input.hex", xin);
    if (LAST) $readmemh("golden_s0.hex", gold64);
    else $readmemh("golden_s0.hex", gold16);
    // Block index: CSR row pointers and column indices (every block when nothing is dropped).
    if (INDEXED) begin
      pos = 0;
      rp[0] = ifield(pos, PTR_BITS);
      pos = pos + PTR_BITS;
      for (i = 0; i < NBR; i = i + 1) begin
        rp[i+1] = ifield(pos, PTR_BITS);
        pos = pos + PTR_BITS;
        for (b = rp[i]; b < rp[i+1]; b = b + 1) begin
          col[b] = ifield(pos, COL_BITS);
          pos = pos + COL_BITS;
        end
      end
    end else begin
      for (i = 0; i <= NBR; i = i + 1) rp[i] = i * NBC;
      for (b = 0; b < KEPT; b = b + 1) col[b] = b % NBC;
    end
    // Requantization parameters: m_c (32 bits) then b_c (64 bits) per channel.
    for (row = 0; row < N; row = row + 1) begin
      f = pfield(row * 96, 32);
      mult[row] = {{32{f[31]}}, f[31:0]};
      bias[row] = pfield(row * 96 + 32, 64);
    end
    errors = 0;
    for (img = 0; img < IMAGES && errors == 0; img = img + 1) begin
      for (row = 0; row < N; row = row + 1) acc[row] = 0;
      for (i = 0; i < NBR; i = i + 1)
        for (b = rp[i]; b < rp[i+1]; b = b + 1) begin
          j = col[b];
          for (r = 0; r < BR; r = r + 1)
            for (c = 0; c < BC; c = c + 1)
              if (i * BR + r < N && j * BC + c < K) begin
                f = xin[img * K + j * BC + c];
                x = {{16{f[15]}}, f[15:0]};
                acc[i*BR+r] = acc[i*BR+r] + wcode((b * BR + r) * BC + c) * x;
              end
        end
      for (row = 0; row < N && errors == 0; row = row + 1) begin
        z = acc[row] * mult[row] + bias[row];
        if (LAST) begin
          if (z !== $signed(gold64[img*OUT_SIZE+row])) begin
            $display("FAIL image %0d output %0d: logit %0d, golden %0d", img, row, z, $signed(gold64[img*OUT_SIZE+row]));
            errors = errors + 1;
          end
        end else begin
          v = z >>> SHIFT;  // floor(z / 2^SHIFT)
          if (ACT == ACT_SIGN) got = z >= 0 ? 1 : -1;
          else if (ACT == ACT_UNSIGNED) begin
            hi = (64'sd1 <<< ACT_BITS) - 1;
            got = v < 0 ? 0 : v > hi ? hi : v;
          end else begin
            hi = (64'sd1 <<< (ACT_BITS - 1)) - 1;
            got = v < -hi ? -hi : v > hi ? hi : v;
          end
          f = gold16[img*OUT_SIZE+row];
          want = {{16{f[15]}}, f[15:0]};
          if (got !== want) begin
            $display("FAIL image %0d output %0d: code %0d, golden %0d", img, row, got, want);
            errors = errors + 1;
          end
        end
      end
    end
    if (errors == 0) $display("PASS %0d images", IMAGES);
    $finish;
  end
endmodule
