import { kdrecTestConfig } from "../../vitest.shared.js";

export default kdrecTestConfig(import.meta.url);
