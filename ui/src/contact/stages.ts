import { t } from "../lib/i18n";
import { standardStages, type StandardStage } from "../lib/types";

export function isStandardStage(stage: string): stage is StandardStage {
  return (standardStages as readonly string[]).includes(stage);
}

/** The stage as the user reads it: a standard one translated, a custom one as typed. */
export function stageLabel(stage: string): string {
  switch (stage) {
    case "lead":
      return t("contact.stage.lead");
    case "prospect":
      return t("contact.stage.prospect");
    case "customer":
      return t("contact.stage.customer");
    case "contact":
      return t("contact.stage.contact");
    default:
      return stage;
  }
}
