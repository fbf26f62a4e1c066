import { mount } from "svelte";
import "@fontsource-variable/inter/wght.css";
import "./lib/styles/tokens.css";
import "./lib/styles/base.css";
import "./lib/styles/controls.css";
import "./lib/styles/dialog.css";
import "./lib/styles/forms.css";
import "./lib/styles/figures.css";
import "./lib/styles/records.css";
// Sets <html data-theme> from the saved choice before the first render.
import "./lib/theme.svelte";
import App from "./App.svelte";

const target = document.getElementById("app");
if (!target) throw new Error("index.html has no #app element");

export default mount(App, { target });
