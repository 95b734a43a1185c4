// Two pages into the Python package's static folder: the fan's app (index.html, at /) and
// the GraphiQL page (graphiql.html, which boxoffice/graphiql.py serves at GET /graphql).
import { resolve } from "node:path";
import { defineConfig } from "vite";

export default defineConfig({
  base: "/",
  build: {
    outDir: resolve(__dirname, "../boxoffice/static/web"),
    emptyOutDir: true,
    // no source maps in the Python package; hashed names so browsers cache safely
    sourcemap: false,
    // the licenses of every bundled npm package, shipped next to the assets
    license: { fileName: "THIRD_PARTY_LICENSES.md" },
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      input: {
        index: resolve(__dirname, "index.html"),
        graphiql: resolve(__dirname, "graphiql.html"),
      },
    },
  },
});
