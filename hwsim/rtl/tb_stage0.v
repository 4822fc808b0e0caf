// Behavioural reference for verifying an RTL implementation against bitblock: loads the weight,
// index and parameter SRAM images and the golden vectors that `bitblock hwsim --emit-rtl DIR`
// writes (layout: hwsim/include/bitblock/hwsim/rtl_export.hpp), recomputes stage 0 of every
// image with a plain multiply-accumulate loop over the kept blocks, requantizes and activates
// (model/include/bitblock/model/network.hpp), and compares each output with golden_s0.hex.
// Dense stage 0 without pooling only (an MLP's first layer). Prints "PASS <images> images" or
// the first mismatch. Run in DIR:
//   iverilog -g2005 -I DIR -o DIR/tb.vvp hwsim/rtl/tb_stage0.v && (cd DIR && vvp tb.vvp)
`timescale 1ns / 1ps

// One SRAM as `--emit-rtl` writes it: BANKS files NAME_b<k>.hex of DEPTH words, a stage's stream
// starting at row ROW0 with stream word i in bank i % BANKS, row ROW0 + i / BANKS. Loaded at time
// 0; read through field() from time 1 on.
module sram_image #(parameter WORD = 8, BANKS = 1, DEPTH = 1, ROW0 = 0, NAME = "weight");
  reg [WORD-1:0] mem[0:BANKS*DEPTH-1];
  reg [8*32-1:0] fname;
  integer b;
  initial
    for (b = 0; b < BANKS; b = b + 1) begin
      $sformat(fname, "%s_b%0d.hex", NAME, b);
      $readmemh(fname, mem, b * DEPTH, (b + 1) * DEPTH - 1);
    end
  function bit_at(input integer j);
    reg [WORD-1:0] word;
    integer i;
    begin
      i = j / WORD;
      word = mem[(i % BANKS) * DEPTH + ROW0 + i / BANKS];
      bit_at = word[j % WORD];
    end
  endfunction
  // n bits (LSB first) from stream bit `first`.
  function [63:0] field(input integer first, input integer n);
    integer t;
    begin
      field = 0;
      for (t = 0; t < n; t = t + 1) field[t] = bit_at(first + t);
    end
  endfunction
endmodule

module tb_stage0;
`include "tb_params.vh"

  sram_image #(.WORD(W_WORD), .BANKS(W_BANKS), .DEPTH(W_DEPTH), .ROW0(W_ROW0), .NAME("weight")) wsram();
  sram_image #(.WORD(I_WORD), .BANKS(I_BANKS), .DEPTH(I_DEPTH), .ROW0(I_ROW0), .NAME("index")) isram();
  sram_image #(.WORD(P_WORD), .BANKS(P_BANKS), .DEPTH(P_DEPTH), .ROW0(P_ROW0), .NAME("param")) psram();
  reg [15:0] xin[0:IMAGES*K-1];
  reg [15:0] gold16[0:IMAGES*OUT_SIZE-1];
  reg [63:0] gold64[0:IMAGES*OUT_SIZE-1];
  integer rp[0:NBR];
  integer col[0:KEPT];
  reg signed [63:0] acc[0:N-1];
  reg signed [63:0] mult[0:N-1];
  reg signed [63:0] bias[0:N-1];

  // Weight code number idx: two's complement of BITS bits; binary: 1 -> +1, 0 -> -1.
  function integer wcode(input integer idx);
    reg [63:0] f;
    begin
      f = wsram.field(idx * BITS, BITS);
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
    #1;  // the SRAM images load at time 0
    $readmemh("input.hex", xin);
    if (LAST) $readmemh("golden_s0.hex", gold64);
    else $readmemh("golden_s0.hex", gold16);
    // Block index: CSR row pointers and column indices (every block when nothing is dropped).
    if (INDEXED) begin
      pos = 0;
      rp[0] = isram.field(pos, PTR_BITS);
      pos = pos + PTR_BITS;
      for (i = 0; i < NBR; i = i + 1) begin
        rp[i+1] = isram.field(pos, PTR_BITS);
        pos = pos + PTR_BITS;
        for (b = rp[i]; b < rp[i+1]; b = b + 1) begin
          col[b] = isram.field(pos, COL_BITS);
          pos = pos + COL_BITS;
        end
      end
    end else begin
      for (i = 0; i <= NBR; i = i + 1) rp[i] = i * NBC;
      for (b = 0; b < KEPT; b = b + 1) col[b] = b % NBC;
    end
    // Requantization parameters: m_c (32 bits) then b_c (64 bits) per channel.
    for (row = 0; row < N; row = row + 1) begin
      f = psram.field(row * 96, 32);
      mult[row] = {{32{f[31]}}, f[31:0]};
      bias[row] = psram.field(row * 96 + 32, 64);
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
