// The api functions the CRM screens call, as vi.fn()s, for `vi.mock("../lib/api", ...)`.
import { vi } from "vitest";

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
  };
}
