import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { readConfig } from "./config";
import { startTodoApp } from "./sync/todo-app";
import { App } from "./ui/app";
import { AppContext } from "./ui/app-context";
import "./styles.css";

const root = createRoot(document.getElementById("root")!);

startTodoApp(readConfig(window.location, window.KALPHITE_CONFIG)).then(
  (app) => {
    // For tests and debugging: the running app.
    (window as unknown as { __kalphiteTodo?: unknown }).__kalphiteTodo = app;
    root.render(
      <StrictMode>
        <AppContext.Provider value={app}>
          <App />
        </AppContext.Provider>
      </StrictMode>,
    );
  },
  (error: unknown) => {
    root.render(<p role="alert">The app could not start: {error instanceof Error ? error.message : String(error)}</p>);
  },
);
