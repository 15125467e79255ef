// What a flat node table costs (docs/performance.md, "What the 1.3 budget needs", stop 32):
// parse each file named on stdin, then build the same table of every node (kind, named,
// start, end, parent) twice, (a) by reading tree-sitter's subtrees through its internal
// headers, (b) through the public TSTreeCursor, and check the two tables are equal.
// Not part of the build: it reads tree-sitter's private structures, which the workspace's
// `unsafe_code = "forbid"` keeps out of the Rust code. Build and run:
//   R=$(echo ~/.cargo/registry/src/*/tree-sitter-0.27.1)
//   J=$(echo ~/.cargo/registry/src/*/tree-sitter-javascript-0.25.0)
//   gcc -O3 -I$R/src -I$R/include flat-table.c $R/src/lib.c $J/src/parser.c $J/src/scanner.c \
//     -DONLY_JAVASCRIPT -o flat-table
//   find target/bench/corpus-30mb-seed1 -name '*.js' | ./flat-table js
#include "tree_sitter/api.h"
#include "subtree.h"
#include "tree.h"
#include "language.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct { uint16_t kind, named; uint32_t start, end, parent; } Row;
static Row *rows; static size_t nrows, caprows;
static inline void push(uint16_t k, uint16_t n, uint32_t s, uint32_t e, uint32_t p) {
  if (nrows == caprows) { caprows = caprows ? caprows * 2 : 1 << 16; rows = realloc(rows, caprows * sizeof(Row)); }
  rows[nrows++] = (Row){k, n, s, e, p};
}
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

static const TSLanguage *lang;
// Walk the children of `self`, whose content (after padding) starts at `pos`.
static void internal_children(Subtree self, uint32_t pos, uint32_t parent) {
  uint32_t n = ts_subtree_child_count(self);
  if (!n) return;
  const TSSymbol *aliases = ts_language_alias_sequence(lang, self.ptr->production_id);
  Subtree *kids = ts_subtree_children(self);
  uint32_t structural = 0;
  for (uint32_t i = 0; i < n; i++) {
    Subtree c = kids[i];
    uint32_t start = i ? pos + ts_subtree_padding(c).bytes : pos;
    uint32_t end = start + ts_subtree_size(c).bytes;
    TSSymbol alias = 0;
    if (!ts_subtree_extra(c)) { if (aliases) alias = aliases[structural]; structural++; }
    bool visible = ts_subtree_visible(c) || alias;
    uint32_t p = parent;
    if (visible) {
      TSSymbol sym = ts_language_public_symbol(lang, alias ? alias : ts_subtree_symbol(c));
      bool named = alias ? ts_language_symbol_metadata(lang, alias).named : ts_subtree_named(c);
      p = nrows; push(sym, named, start, end, parent);
    }
    internal_children(c, start, p);
    pos = end;
  }
}
static void internal_table(TSTree *tree) {
  Subtree root = tree->root;
  uint32_t start = ts_subtree_padding(root).bytes;
  push(ts_language_public_symbol(lang, ts_subtree_symbol(root)), 1, start, start + ts_subtree_size(root).bytes, UINT32_MAX);
  internal_children(root, start, 0);
}
static void cursor_table(TSTree *tree) {
  TSNode root = ts_tree_root_node(tree);
  TSTreeCursor c = ts_tree_cursor_new(root);
  uint32_t stack[4096]; int depth = 0;
  push(ts_node_symbol(root), 1, ts_node_start_byte(root), ts_node_end_byte(root), UINT32_MAX);
  stack[0] = 0;
  for (;;) {
    if (ts_tree_cursor_goto_first_child(&c)) { depth++; }
    else {
      while (!ts_tree_cursor_goto_next_sibling(&c)) {
        if (!ts_tree_cursor_goto_parent(&c)) { ts_tree_cursor_delete(&c); return; }
        depth--;
      }
    }
    TSNode n = ts_tree_cursor_current_node(&c);
    stack[depth] = nrows;
    push(ts_node_symbol(n), ts_node_is_named(n), ts_node_start_byte(n), ts_node_end_byte(n), stack[depth - 1]);
  }
}
const TSLanguage *tree_sitter_javascript(void);
#ifdef ONLY_JAVASCRIPT
#define tree_sitter_python tree_sitter_javascript
#define tree_sitter_typescript tree_sitter_javascript
#else
const TSLanguage *tree_sitter_python(void);
const TSLanguage *tree_sitter_typescript(void);
#endif
int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: flat-table js|py|ts < file-list\n"); return 2; }
  lang = !strcmp(argv[1], "py") ? tree_sitter_python() : !strcmp(argv[1], "ts") ? tree_sitter_typescript() : tree_sitter_javascript();
  // file list on stdin
  char path[4096]; char **texts = NULL; size_t *lens = NULL; size_t nf = 0, cap = 0, total = 0;
  while (fgets(path, sizeof path, stdin)) {
    path[strcspn(path, "\n")] = 0;
    FILE *f = fopen(path, "rb"); if (!f) continue;
    fseek(f, 0, SEEK_END); long l = ftell(f); fseek(f, 0, SEEK_SET);
    char *b = malloc(l + 1); fread(b, 1, l, f); fclose(f);
    if (nf == cap) { cap = cap ? cap * 2 : 1024; texts = realloc(texts, cap * sizeof *texts); lens = realloc(lens, cap * sizeof *lens); }
    texts[nf] = b; lens[nf] = l; nf++; total += l;
  }
  TSParser *p = ts_parser_new(); ts_parser_set_language(p, lang);
  double tparse = 0, tint = 0, tcur = 0, tdel = 0; size_t rint = 0, rcur = 0; int mismatch = 0;
  for (int rep = 0; rep < 3; rep++)
  for (size_t i = 0; i < nf; i++) {
    double a = now();
    TSTree *t = ts_parser_parse_string(p, NULL, texts[i], lens[i]);
    double b = now();
    nrows = 0; internal_table(t); size_t n1 = nrows;
    Row *copy = malloc(n1 * sizeof(Row)); memcpy(copy, rows, n1 * sizeof(Row));
    double c = now();
    nrows = 0; cursor_table(t);
    double d = now();
    if (rep == 0 && (n1 != nrows || memcmp(copy, rows, n1 * sizeof(Row)))) mismatch++;
    free(copy);
    ts_tree_delete(t);
    double e = now();
    tparse += b - a; tint += c - b; tcur += d - c; tdel += e - d; rint += n1; rcur += nrows;
  }
  printf("%s: %zu files %.1f MB, parse %.3fs, internal table %.3fs (%.1f%%), cursor table %.3fs (%.1f%%), delete %.3fs; rows %zu/%zu, files whose tables differ: %d\n",
    argv[1], nf, total / 1e6, tparse, tint, 100 * tint / tparse, tcur, 100 * tcur / tparse, tdel, rint / 3, rcur / 3, mismatch);
}
