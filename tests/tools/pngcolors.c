/* pngcolors FILE.png: print "colours N nonwhite M pixels P" for an 8-bit
 * RGB/RGBA PNG (what headless Chromium writes), so the report test can
 * tell a rendered page from a blank one without python or ImageMagick.
 * Built by the test with: cc -O2 -o pngcolors pngcolors.c -lz */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: pngcolors FILE.png\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	unsigned char *buf = malloc((size_t)n);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n || n < 33 || memcmp(buf, "\x89PNG\r\n\x1a\n", 8)) {
		fprintf(stderr, "%s: not a PNG\n", argv[1]);
		return 2;
	}
	fclose(f);
	uint32_t w = be32(buf + 16), h = be32(buf + 20);
	int depth = buf[24], ctype = buf[25], interlace = buf[28];
	int bpp = ctype == 6 ? 4 : ctype == 2 ? 3 : 0;
	if (depth != 8 || !bpp || interlace || w == 0 || h == 0 || w > 20000 || h > 20000) {
		fprintf(stderr, "%s: only 8-bit RGB/RGBA, non-interlaced PNGs\n", argv[1]);
		return 2;
	}
	size_t zlen = 0;
	unsigned char *z = malloc((size_t)n);
	for (long off = 8; off + 12 <= n;) {
		uint32_t len = be32(buf + off);
		if (off + 12 + (long)len > n)
			break;
		if (!memcmp(buf + off + 4, "IDAT", 4)) {
			memcpy(z + zlen, buf + off + 8, len);
			zlen += len;
		}
		off += 12 + (long)len;
	}
	size_t stride = (size_t)w * (size_t)bpp, rawlen = (stride + 1) * h;
	unsigned char *raw = malloc(rawlen);
	uLongf got = rawlen;
	if (!z || !raw || uncompress(raw, &got, z, zlen) != Z_OK || got != rawlen) {
		fprintf(stderr, "%s: corrupt image data\n", argv[1]);
		return 2;
	}
	unsigned char *prev = calloc(stride, 1), *cur;
	size_t cap = 1 << 20, ncol = 0, nonwhite = 0;
	uint32_t *set = calloc(cap, sizeof *set);   /* open addressing, colour+1 */
	for (uint32_t y = 0; y < h; y++) {
		unsigned char ft = raw[y * (stride + 1)];
		cur = raw + y * (stride + 1) + 1;
		for (size_t x = 0; x < stride; x++) {
			int a = x >= (size_t)bpp ? cur[x - bpp] : 0, b = prev[x], c = x >= (size_t)bpp ? prev[x - bpp] : 0;
			int add = ft == 1 ? a : ft == 2 ? b : ft == 3 ? (a + b) / 2 : ft == 4 ? paeth(a, b, c) : 0;
			cur[x] = (unsigned char)(cur[x] + add);
		}
		for (uint32_t x = 0; x < w; x++) {
			unsigned char *p = cur + (size_t)x * (size_t)bpp;
			uint32_t col = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
			if (col != 0xffffff)
				nonwhite++;
			size_t i = (col * 2654435761u) & (cap - 1);
			while (set[i] && set[i] != col + 1)
				i = (i + 1) & (cap - 1);
			if (!set[i] && ncol < cap / 2) {
				set[i] = col + 1;
				ncol++;
			}
		}
		memcpy(prev, cur, stride);
	}
	printf("colours %zu nonwhite %zu pixels %zu\n", ncol, nonwhite, (size_t)w * h);
	return 0;
}
