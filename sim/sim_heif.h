/* sim_heif.h - just enough of HEIF (ISO/IEC 23008-12) to accept the HEIC/HEIF images
 * Gemini takes: the file type box says HEIF, and the image spatial extents property
 * ('ispe') gives the size. The pixels are not decoded: the simulator only bills them. */
#ifndef VB_SIM_HEIF_H
#define VB_SIM_HEIF_H

#include <stddef.h>

/* Whether data[0..len) starts with an ISO BMFF 'ftyp' box naming a HEIF brand (heic,
 * heix, heim, heis, hevc, hevx, mif1, msf1, mif2; not AVIF). */
int sim_heif_is_heif(const unsigned char *data, size_t len);

/* Reads a HEIF image's size: the largest 'ispe' of meta/iprp/ipco (a grid image lists
 * its tiles' sizes too). Returns 0 and fills *width and *height, or -1 when data is not
 * HEIF or has no readable size. */
int sim_heif_probe(const unsigned char *data, size_t len, unsigned *width, unsigned *height);

#endif
