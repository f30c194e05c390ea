/* jpeg_check.h - the decode check for JPEG, straight through libjpeg.
 *
 * What image_decode_check does for every format, made cheap for the common one: a JPEG's
 * compressed data is entropy-decoded in full (every Huffman code of every scan, to the
 * end marker) while its pixels are reconstructed at 1/8 scale, where libjpeg's inverse
 * DCT is one value per block. Damage lives in the entropy-coded data, so the verdict is
 * that of a full decode at about a quarter of libvips' cost (bench/out/images-30k, 800x600:
 * 0.47 ms against 1.9 ms per image). Input is fed in 2 KiB chunks: with the whole file in
 * one buffer libjpeg-turbo takes its fast Huffman path, which turns a bad code into a zero
 * without a warning; with small chunks every code goes through the path that reports it. */
#ifndef VB_JPEG_CHECK_H
#define VB_JPEG_CHECK_H

#include <stddef.h>

/* Stray bytes before a marker that are tolerated: a few are a quirk of some cameras and
 * editors (the image is whole), more mean the scan's data and its length disagree. */
#define JPEG_CHECK_STRAY_BYTES 16

/* Decodes the JPEG in data[0..len) as above and fails on any libjpeg error, and on any
 * warning but three harmless ones (an unknown JFIF revision or Adobe transform code, a
 * damaged ICC marker) and stray bytes up to JPEG_CHECK_STRAY_BYTES before a marker. A
 * file that ends before its end marker fails, as does one declaring more than
 * IMAGE_MAX_PIXELS (never decoded). Returns 0, or -1 with libjpeg's message in err. Memory: one row at 1/8 scale (a progressive JPEG also holds its coefficients,
 * as any decoder must). Thread-safe. */
int jpeg_check(const unsigned char *data, size_t len, char *err, size_t errlen);

#endif
