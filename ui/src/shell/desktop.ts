// The window's part of the desktop integration: it words new-mail notifications and the
// tray menu in the user's language (the Rust side decides what is new and shows them),
// and opens the conversation a clicked notification points at.
import * as api from "../lib/api";
import { currentLocale, t } from "../lib/i18n";
import type { NewMailNotice, TrayLabels } from "../lib/types";

/** Title and body of the one notification for a notice. */
export function noticeText(notice: NewMailNotice): { title: string; body: string } {
  const newest = notice.messages[0];
  if (notice.total === 1 && newest) {
    return {
      title: t("desktop.notify.from", { name: newest.fromName }),
      body: newest.subject.trim() || t("desktop.notify.noSubject"),
    };
  }
  const names = [...new Set(notice.messages.map((m) => m.fromName))];
  const shown = names.slice(0, 3);
  const list = new Intl.ListFormat(currentLocale(), { style: "long", type: "conjunction" }).format(shown);
  return {
    title: t("desktop.notify.count", { count: notice.total }),
    body:
      notice.senders > shown.length
        ? t("desktop.notify.fromMany", { names: list, count: notice.senders - shown.length })
        : t("desktop.notify.fromNames", { names: list }),
  };
}

export function trayLabels(): TrayLabels {
  return {
    open: t("desktop.tray.open"),
    syncNow: t("desktop.tray.syncNow"),
    pauseSync: t("desktop.tray.pauseSync"),
    quit: t("desktop.tray.quit"),
    unread: t("desktop.tray.unread"),
  };
}

/**
 * Shows notifications for new mail and follows clicks on them. Returns the function that
 * stops listening.
 */
export async function followDesktopEvents(openThread: (threadId: number) => void): Promise<() => void> {
  const stops = await Promise.all([
    api.onNewMail((notice) => {
      const { title, body } = noticeText(notice);
      const target = notice.messages[0];
      void api.showNotification(title, body, target?.threadId ?? null, target?.messageId ?? null).catch(() => {
        // The notification daemon is gone: nothing to show, the mail is in the inbox.
      });
    }),
    api.onOpenMessage((target) => openThread(target.threadId)),
  ]);
  return () => stops.forEach((stop) => stop());
}

/**
 * The `mailto:` links of the first launch, sent as `mail-link` events once the window's
 * screens have mounted and listen (a later launch's links come the same way).
 */
export function deliverLaunchLinks(): void {
  void api.deliverLaunchLinks().catch(() => {
    // Nothing to deliver outside the app (tests, a browser preview).
  });
}
