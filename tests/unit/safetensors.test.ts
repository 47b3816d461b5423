import { describe, expect, test } from 'vitest';
import { float16ToFloat32, float32ToFloat16, readSafetensors, writeSafetensors } from '../../src/llama/safetensors';
import type { WeightMap } from '../../src/llama/weights';

/** Builds a safetensors file by hand, independent of writeSafetensors. */
function handMade(header: object, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('readSafetensors', () => {
  test('every one of the 65,536 half patterns reads as IEEE half, at an even and at an odd byte offset', () => {
    // Expected values from the bit layout directly (sign, 5-bit exponent, 10-bit mantissa), not
    // from the reader's table or float16ToFloat32.
    const expected = (bits: number): number => {
      const sign = bits >= 0x8000 ? -1 : 1;
      const exponent = Math.floor(bits / 1024) % 32;
      const mantissa = bits % 1024;
      if (exponent === 31) return mantissa === 0 ? sign * Infinity : NaN;
      return exponent === 0 ? sign * (mantissa / 1024) * 2 ** -14 : sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
    };
    const all = new Uint8Array(2 * 0x10000);
    for (let bits = 0; bits < 0x10000; bits++) {
      all[2 * bits] = bits & 0xff;
      all[2 * bits + 1] = bits >> 8;
    }
    for (const pad of [0, 1]) {
      // pad shifts the tensor's data by one byte (the reader then cannot view it as 16-bit words)
      const file = handMade({ x: { dtype: 'F16', shape: [0x10000], data_offsets: [pad, pad + all.length] } }, new Uint8Array([...new Uint8Array(pad), ...all]));
      const read = readSafetensors(file).get('x')!.data;
      const wrong: number[] = [];
      for (let bits = 0; bits < 0x10000; bits++) if (!Object.is(read[bits], Math.fround(expected(bits)))) wrong.push(bits);
      expect(wrong, `pad ${pad}`).toEqual([]);
    }
    expect(readSafetensors(handMade({ x: { dtype: 'F16', shape: [3], data_offsets: [0, 6] } }, new Uint8Array([0x00, 0x80, 0xff, 0x7b, 0x01, 0x00]))).get('x')!.data).toEqual(new Float32Array([-0, 65504, 2 ** -24]));
  });
  test('reads F32, F16 and BF16 little-endian values', () => {
    const f32 = new Uint8Array(new Float32Array([1.5, -2]).buffer);
    const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3555]).buffer); // 1, -2, 0.333251953125
    const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0x4049]).buffer); // 1, 3.140625
    const data = new Uint8Array([...f32, ...f16, ...bf16]);
    const file = handMade(
      {
        __metadata__: { format: 'pt' },
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'F16', shape: [1, 3], data_offsets: [8, 14] },
        c: { dtype: 'BF16', shape: [2], data_offsets: [14, 18] },
      },
      data,
    );
    const weights = readSafetensors(file);
    expect([...weights.keys()]).toEqual(['a', 'b', 'c']);
    expect([...weights.get('a')!.data]).toEqual([1.5, -2]);
    expect(weights.get('b')!.shape).toEqual([1, 3]);
    expect([...weights.get('b')!.data]).toEqual([1, -2, 0.333251953125]);
    expect([...weights.get('c')!.data]).toEqual([1, 3.140625]);
  });

  test('errors name the tensor', () => {
    const bad = handMade({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8));
    expect(() => readSafetensors(bad)).toThrow('tensor w has 8 bytes but shape [3] in F32 needs 12');
    const int = handMade({ ids: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8));
    expect(() => readSafetensors(int)).toThrow('tensor ids has dtype I64');
    const short = handMade({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8));
    expect(() => readSafetensors(short)).toThrow(/tensor w ends at byte/);
    expect(() => readSafetensors(new Uint8Array(4))).toThrow(/too short/);
  });
});

describe('writeSafetensors', () => {
  const weights: WeightMap = new Map([
    ['model.norm.weight', { shape: [3], data: new Float32Array([1, 0.1, -1e-3]) }],
    ['lm_head.weight', { shape: [2, 2], data: new Float32Array([0.5, -70000, 6e-8, 3]) }],
  ]);

  test('F32 round-trips exactly, with metadata and an 8-byte aligned header', () => {
    const bytes = writeSafetensors(weights, { metadata: { note: 'hi' } });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    expect(header.__metadata__).toEqual({ note: 'hi' });
    expect(header['lm_head.weight']).toEqual({ dtype: 'F32', shape: [2, 2], data_offsets: [12, 28] });
    const back = readSafetensors(bytes);
    expect(back.get('lm_head.weight')).toEqual(weights.get('lm_head.weight'));
    expect(back.get('model.norm.weight')).toEqual(weights.get('model.norm.weight'));
  });

  test('F16 rounds to the nearest half and saturates to infinity', () => {
    const back = readSafetensors(writeSafetensors(weights, { dtype: 'F16' }));
    expect([...back.get('model.norm.weight')!.data]).toEqual([1, 0.0999755859375, -0.0010004043579101562]);
    expect([...back.get('lm_head.weight')!.data]).toEqual([0.5, -Infinity, 5.960464477539063e-8, 3]);
  });

  test('rejects data that disagrees with its shape', () => {
    expect(() => writeSafetensors(new Map([['x', { shape: [2], data: new Float32Array(3) }]]))).toThrow('tensor x holds 3 values');
  });
});

describe('float16', () => {
  test('known bit patterns', () => {
    expect(float32ToFloat16(1)).toBe(0x3c00);
    expect(float32ToFloat16(-2)).toBe(0xc000);
    expect(float32ToFloat16(65504)).toBe(0x7bff);
    expect(float32ToFloat16(2 ** -24)).toBe(0x0001);
    expect(float32ToFloat16(1 + 2 ** -11)).toBe(0x3c00); // a tie rounds to even
    expect(float32ToFloat16(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(float16ToFloat32(0x7c00)).toBe(Infinity);
    expect(float16ToFloat32(0x03ff)).toBeCloseTo(6.097555e-5, 10);
  });
  test('every finite half survives a round trip', () => {
    const changed: number[] = [];
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7c00) === 0x7c00) continue; // infinities and NaNs
      if (float32ToFloat16(float16ToFloat32(bits)) !== bits) changed.push(bits);
    }
    expect(changed).toEqual([]);
  });
});
