/*
 * A plain single-threaded C forward of a llama2.c version-0 checkpoint, the yardstick of
 * `npm run bench`: greedy decoding from BOS, one token at a time against a key/value cache.
 * Written for this project from the format description in ../shared/fixtures/README.md.
 *
 *   cc -O3 -o reference scripts/bench/reference.c -lm
 *   reference CHECKPOINT STEPS REPEATS
 *
 * Prints one line per repeat, "steps S1 S2 ...": the seconds of each of the STEPS decode steps
 * (the first, from BOS, included), then "tokens ID ID ..." (the greedy tokens of the last repeat).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  int dim;        /* hidden size */
  int hidden;     /* MLP width */
  int layers;
  int heads;
  int kv_heads;
  int vocab;
  int context;    /* seq_len: positions the cache holds */
} Shape;

typedef struct {
  float *embedding; /* (vocab, dim), also the classifier (tied) */
  float *norm_attn; /* (layer, dim) */
  float *wq;        /* (layer, dim, dim) rows are outputs */
  float *wk;        /* (layer, kv_dim, dim) */
  float *wv;        /* (layer, kv_dim, dim) */
  float *wo;        /* (layer, dim, dim) */
  float *norm_mlp;  /* (layer, dim) */
  float *gate;      /* (layer, hidden, dim)  w1 */
  float *down;      /* (layer, dim, hidden)  w2 */
  float *up;        /* (layer, hidden, dim)  w3 */
  float *norm_out;  /* (dim) */
} Weights;

typedef struct {
  float *h;       /* (dim) the residual stream */
  float *n;       /* (dim) normalized h */
  float *q;       /* (dim) */
  float *attn;    /* (dim) attention output, heads side by side */
  float *tmp;     /* (dim) */
  float *g;       /* (hidden) */
  float *u;       /* (hidden) */
  float *scores;  /* (context) one head's scores, then probabilities */
  float *keys;    /* (layer, context, kv_dim) after RoPE */
  float *values;  /* (layer, context, kv_dim) */
  float *logits;  /* (vocab) */
} State;

static void *alloc(size_t floats) {
  void *p = calloc(floats, sizeof(float));
  if (!p) { fprintf(stderr, "out of memory\n"); exit(1); }
  return p;
}

/* out = x / sqrt(mean(x^2) + eps) * weight */
static void rms_norm(float *out, const float *x, const float *weight, int n) {
  float sum = 0.0f;
  for (int i = 0; i < n; i++) sum += x[i] * x[i];
  float inv = 1.0f / sqrtf(sum / n + 1e-5f);
  for (int i = 0; i < n; i++) out[i] = x[i] * inv * weight[i];
}

/* out[r] = sum_c w[r][c] x[c], w is (rows, cols) */
static void mat_vec(float *out, const float *w, const float *x, int rows, int cols) {
  for (int r = 0; r < rows; r++) {
    const float *row = w + (size_t)r * cols;
    float sum = 0.0f;
    for (int c = 0; c < cols; c++) sum += row[c] * x[c];
    out[r] = sum;
  }
}

/* RoPE on interleaved pairs (x[2i], x[2i+1]) of each head: turn by pos * 10000^(-2i/head_size) */
static void rope(float *x, int width, int head_size, int pos) {
  for (int j = 0; j < width; j += 2) {
    int i = (j % head_size) / 2;
    float angle = pos * powf(10000.0f, -2.0f * i / head_size);
    float c = cosf(angle), s = sinf(angle);
    float a = x[j], b = x[j + 1];
    x[j] = a * c - b * s;
    x[j + 1] = a * s + b * c;
  }
}

/* in place: exp(x - max) / sum */
static void softmax(float *x, int n) {
  float max = x[0];
  for (int i = 1; i < n; i++) if (x[i] > max) max = x[i];
  float sum = 0.0f;
  for (int i = 0; i < n; i++) { x[i] = expf(x[i] - max); sum += x[i]; }
  for (int i = 0; i < n; i++) x[i] /= sum;
}

/* One token at position pos: fills s->logits. */
static void step(const Shape *m, const Weights *w, State *s, int token, int pos) {
  int dim = m->dim, hs = dim / m->heads, kv_dim = m->kv_heads * hs, group = m->heads / m->kv_heads;
  memcpy(s->h, w->embedding + (size_t)token * dim, dim * sizeof(float));
  for (int l = 0; l < m->layers; l++) {
    float *keys = s->keys + (size_t)l * m->context * kv_dim;
    float *values = s->values + (size_t)l * m->context * kv_dim;
    float *k = keys + (size_t)pos * kv_dim, *v = values + (size_t)pos * kv_dim;
    rms_norm(s->n, s->h, w->norm_attn + l * dim, dim);
    mat_vec(s->q, w->wq + (size_t)l * dim * dim, s->n, dim, dim);
    mat_vec(k, w->wk + (size_t)l * kv_dim * dim, s->n, kv_dim, dim);
    mat_vec(v, w->wv + (size_t)l * kv_dim * dim, s->n, kv_dim, dim);
    rope(s->q, dim, hs, pos);
    rope(k, kv_dim, hs, pos);
    /* each query head h reads kv head h / group */
    for (int h = 0; h < m->heads; h++) {
      const float *qh = s->q + h * hs;
      int kvh = h / group;
      for (int t = 0; t <= pos; t++) {
        const float *kt = keys + (size_t)t * kv_dim + kvh * hs;
        float dot = 0.0f;
        for (int i = 0; i < hs; i++) dot += qh[i] * kt[i];
        s->scores[t] = dot / sqrtf((float)hs);
      }
      softmax(s->scores, pos + 1);
      float *out = s->attn + h * hs;
      for (int i = 0; i < hs; i++) out[i] = 0.0f;
      for (int t = 0; t <= pos; t++) {
        const float *vt = values + (size_t)t * kv_dim + kvh * hs;
        for (int i = 0; i < hs; i++) out[i] += s->scores[t] * vt[i];
      }
    }
    mat_vec(s->tmp, w->wo + (size_t)l * dim * dim, s->attn, dim, dim);
    for (int i = 0; i < dim; i++) s->h[i] += s->tmp[i];

    rms_norm(s->n, s->h, w->norm_mlp + l * dim, dim);
    mat_vec(s->g, w->gate + (size_t)l * m->hidden * dim, s->n, m->hidden, dim);
    mat_vec(s->u, w->up + (size_t)l * m->hidden * dim, s->n, m->hidden, dim);
    for (int i = 0; i < m->hidden; i++) s->g[i] = s->g[i] / (1.0f + expf(-s->g[i])) * s->u[i]; /* silu(g) * u */
    mat_vec(s->tmp, w->down + (size_t)l * dim * m->hidden, s->g, dim, m->hidden);
    for (int i = 0; i < dim; i++) s->h[i] += s->tmp[i];
  }
  rms_norm(s->n, s->h, w->norm_out, dim);
  mat_vec(s->logits, w->embedding, s->n, m->vocab, dim);
}

static int argmax(const float *x, int n) {
  int best = 0;
  for (int i = 1; i < n; i++) if (x[i] > x[best]) best = i;
  return best;
}

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: %s CHECKPOINT STEPS REPEATS\n", argv[0]); return 2; }
  int steps = atoi(argv[2]), repeats = atoi(argv[3]);
  FILE *file = fopen(argv[1], "rb");
  if (!file) { fprintf(stderr, "cannot open %s\n", argv[1]); return 1; }
  int header[7];
  if (fread(header, sizeof(int), 7, file) != 7) { fprintf(stderr, "short header\n"); return 1; }
  Shape m = { header[0], header[1], header[2], header[3], header[4], header[5], header[6] };
  if (m.vocab <= 0) { fprintf(stderr, "only tied classifiers (positive vocab_size) are read\n"); return 1; }
  if (steps < 1 || steps > m.context) { fprintf(stderr, "STEPS must be in [1, %d]\n", m.context); return 2; }
  int dim = m.dim, kv_dim = m.kv_heads * (dim / m.heads);
  size_t floats = (size_t)m.vocab * dim
    + (size_t)m.layers * (2 * dim + 2 * (size_t)dim * dim + 2 * (size_t)kv_dim * dim + 3 * (size_t)m.hidden * dim)
    + dim;
  float *data = alloc(floats);
  if (fread(data, sizeof(float), floats, file) != floats) { fprintf(stderr, "short file\n"); return 1; }
  fclose(file);
  /* the tensors, in file order */
  Weights w;
  float *p = data;
  w.embedding = p; p += (size_t)m.vocab * dim;
  w.norm_attn = p; p += (size_t)m.layers * dim;
  w.wq = p;        p += (size_t)m.layers * dim * dim;
  w.wk = p;        p += (size_t)m.layers * kv_dim * dim;
  w.wv = p;        p += (size_t)m.layers * kv_dim * dim;
  w.wo = p;        p += (size_t)m.layers * dim * dim;
  w.norm_mlp = p;  p += (size_t)m.layers * dim;
  w.gate = p;      p += (size_t)m.layers * m.hidden * dim;
  w.down = p;      p += (size_t)m.layers * dim * m.hidden;
  w.up = p;        p += (size_t)m.layers * m.hidden * dim;
  w.norm_out = p;

  State s = {
    alloc(dim), alloc(dim), alloc(dim), alloc(dim), alloc(dim), alloc(m.hidden), alloc(m.hidden),
    alloc(m.context), alloc((size_t)m.layers * m.context * kv_dim), alloc((size_t)m.layers * m.context * kv_dim),
    alloc(m.vocab),
  };
  int *tokens = malloc(sizeof(int) * steps);
  double *seconds = malloc(sizeof(double) * steps);
  for (int r = 0; r < repeats; r++) {
    int token = 1; /* BOS */
    for (int pos = 0; pos < steps; pos++) {
      double start = now_seconds();
      step(&m, &w, &s, token, pos);
      token = argmax(s.logits, m.vocab);
      seconds[pos] = now_seconds() - start;
      tokens[pos] = token;
    }
    printf("steps");
    for (int i = 0; i < steps; i++) printf(" %.9f", seconds[i]);
    printf("\n");
  }
  printf("tokens");
  for (int i = 0; i < steps; i++) printf(" %d", tokens[i]);
  printf("\n");
  return 0;
}
