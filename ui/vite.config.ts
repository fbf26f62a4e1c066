import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { svelteTesting } from "@testing-library/svelte/vite";

// Set by `tauri dev` when the webview runs on another device (mobile); unused on desktop.
const devHost = process.env.TAURI_DEV_HOST;
const debugBuild = Boolean(process.env.TAURI_ENV_DEBUG);

export default defineConfig({
  plugins: [svelte(), svelteTesting()],
  // Keep the Rust compiler's output visible when Tauri runs Vite.
  clearScreen: false,
  envPrefix: ["VITE_", "TAURI_ENV_"],
  server: {
    port: 5173,
    strictPort: true,
    host: devHost || false,
    hmr: devHost ? { protocol: "ws", host: devHost, port: 5174 } : undefined,
    watch: { ignored: ["**/src-tauri/**", "**/target/**"] },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // WebKitGTK 2.40+ on Linux, WKWebView on macOS, WebView2 (Chromium) on Windows.
    target: process.env.TAURI_ENV_PLATFORM === "windows" ? "chrome105" : ["es2021", "safari15"],
    minify: !debugBuild,
    sourcemap: debugBuild,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
    setupFiles: ["./src/test/setup.ts"],
    restoreMocks: true,
  },
});
