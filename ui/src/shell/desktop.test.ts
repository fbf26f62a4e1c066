import { afterEach, describe, expect, it } from "vitest";
import { language } from "../lib/i18n";
import type { NewMail } from "../lib/types";
import { noticeText, trayLabels } from "./desktop";

function mail(fromName: string, subject: string, id: number): NewMail {
  return { messageId: id, threadId: id, accountId: 1, subject, fromName, fromAddress: `${fromName}@x.test`, contactId: 1, date: 0 };
}

afterEach(() => language.choose("system"));

describe("noticeText", () => {
  it("names the sender and the subject of a single message", () => {
    language.choose("en");
    expect(noticeText({ messages: [mail("Ann", "Quarterly numbers", 1)], total: 1, senders: 1 })).toEqual({
      title: "New mail from Ann",
      body: "Quarterly numbers",
    });
    expect(noticeText({ messages: [mail("Ann", "  ", 1)], total: 1, senders: 1 }).body).toBe("(no subject)");
  });

  it("groups many messages into one, with the senders listed and the rest counted", () => {
    language.choose("en");
    const messages = ["Ann", "Bob", "Cyril", "Dana", "Ann"].map((name, i) => mail(name, "Hi", i));
    expect(noticeText({ messages, total: 7, senders: 5 })).toEqual({
      title: "7 new messages",
      body: "From Ann, Bob, and Cyril and 2 others",
    });
    language.choose("cs");
    const czech = noticeText({ messages: messages.slice(0, 2), total: 3, senders: 2 });
    expect(czech.title).toBe("3 nové zprávy");
    // Czech lists put a no-break space after "a".
    expect(czech.body.replace(/\s/g, " ")).toBe("Od Ann a Bob");
  });
});

describe("trayLabels", () => {
  it("follows the language and keeps the count placeholder for the tray", () => {
    language.choose("pl");
    const labels = trayLabels();
    expect(labels.syncNow).toBe("Synchronizuj teraz");
    expect(labels.unread).toContain("{count}");
  });
});
