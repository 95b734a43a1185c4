// Typed operations from the backend's published contract: every document the apps send lives
// in frontend_contract/operations/, so the web app sends exactly those (as strings).
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../frontend_contract/schema.graphql",
  documents: ["../frontend_contract/operations/*.graphql"],
  generates: {
    "src/gql/": {
      preset: "client",
      config: { documentMode: "string", enumsAsTypes: true, useTypeImports: true },
      presetConfig: { fragmentMasking: false },
    },
  },
  hooks: {},
};
export default config;
