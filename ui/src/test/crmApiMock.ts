// The api functions the CRM screens call, as vi.fn()s, for `vi.mock("../lib/api", ...)`.
import { vi } from "vitest";
import type { ContactActivity, FollowUpLists } from "../lib/types";

export function emptyFollowUps(): FollowUpLists {
  return {
    settings: { replyWaitDays: 3, lookbackDays: 30, cadenceDays: 30 },
    counts: { awaitingReply: 0, awaitingMe: 0, goingCold: 0, due: 0 },
    awaitingReply: [],
    awaitingMe: [],
    goingCold: [],
    followUps: [],
  };
}

export function quietActivity(contactId = 1): ContactActivity {
  return {
    contactId,
    months: [],
    myMedianReplySecs: null,
    theirMedianReplySecs: null,
    lastInboundAt: null,
    lastOutboundAt: null,
    cadenceDays: null,
    defaultCadenceDays: 30,
  };
}

export function crmApiMock() {
  return {
    listAccounts: vi.fn(),
    onSyncProgress: vi.fn(),
    listContacts: vi.fn(),
    contactCard: vi.fn(),
    contactTimeline: vi.fn(),
    updateContact: vi.fn(),
    createContact: vi.fn(),
    addContactAddress: vi.fn(),
    removeContactAddress: vi.fn(),
    mergeContacts: vi.fn(),
    deleteContact: vi.fn(),
    ignoreCorrespondent: vi.fn(),
    listCompanies: vi.fn(),
    companyPage: vi.fn(),
    unlinkedCorrespondents: vi.fn(),
    exportContacts: vi.fn(),
    importContacts: vi.fn(),
    chooseSavePath: vi.fn(),
    chooseContactsFile: vi.fn(),
    listMessages: vi.fn(),
    messageDetail: vi.fn(),
    openAttachment: vi.fn(),
    messageText: vi.fn(),
    messageInlineImages: vi.fn(),
    setRemoteImagesAllowed: vi.fn(),
    // Defaults, so screens that embed the reader need not set them (kept by vi.resetAllMocks).
    messagePeople: vi.fn(async () => []),
    saveAttachment: vi.fn(),
    onMailLink: vi.fn(async () => () => {}),
    openExternal: vi.fn(),
    listFolders: vi.fn(),
    listThreads: vi.fn(),
    threadMessages: vi.fn(),
    applyAction: vi.fn(),
    pendingChanges: vi.fn(),
    searchMessages: vi.fn(),
    // Compose and send, with defaults so screens that show the outbox need not set them.
    sendMessage: vi.fn(),
    replyDraft: vi.fn(),
    parseMailto: vi.fn(),
    outboxEntries: vi.fn(async () => []),
    retryOutgoing: vi.fn(),
    cancelOutgoing: vi.fn(),
    defaultSendAccount: vi.fn(async () => null),
    setDefaultSendAccount: vi.fn(),
    addressSuggestions: vi.fn(async () => []),
    pickAttachments: vi.fn(async () => []),
    listTemplates: vi.fn(async () => []),
    saveTemplate: vi.fn(),
    deleteTemplate: vi.fn(),
    fillTemplate: vi.fn(),
    saveDraft: vi.fn(async () => 1),
    deleteDraft: vi.fn(async () => {}),
    onOutboxChanged: vi.fn(async () => () => {}),
    onFilesDropped: vi.fn(async () => () => {}),
    listDrafts: vi.fn(async () => []),
    getSignature: vi.fn(async (accountId: number) => ({ accountId, newHtml: "", replyHtml: "", aboveQuote: false })),
    saveSignature: vi.fn(),
    forwardAttachments: vi.fn(async () => []),
    keepDraft: vi.fn(),
    listFollowUps: vi.fn(async () => emptyFollowUps()),
    snoozeFollowUp: vi.fn(),
    restoreFollowUp: vi.fn(),
    updateFollowUpSettings: vi.fn(),
    contactActivity: vi.fn(async () => quietActivity()),
    setContactCadence: vi.fn(),
    onNewMail: vi.fn(async () => () => {}),
    onOpenMessage: vi.fn(async () => () => {}),
    setTrayLabels: vi.fn(async () => {}),
    deliverLaunchLinks: vi.fn(async () => 0),
  };
}
