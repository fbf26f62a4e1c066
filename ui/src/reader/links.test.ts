import { describe, expect, it } from "vitest";
import { describeLink } from "./links";

describe("describeLink", () => {
  it("names the real host of a web link", () => {
    const target = describeLink("https://shop.example/sale?x=1", '<a href="https://shop.example/sale?x=1">See the sale</a>');
    expect(target).toEqual({
      url: "https://shop.example/sale?x=1",
      kind: "web",
      destination: "shop.example",
      misleadingText: null,
    });
  });

  it("flags link text that shows another site", () => {
    const html = '<a href="https://evil.example/x">https://www.paypal.com/signin</a><a href="https://evil.example/x">Log in</a>';
    expect(describeLink("https://evil.example/x", html)?.misleadingText).toBe("https://www.paypal.com/signin");
    expect(describeLink("https://evil.example/x", '<a href="https://evil.example/x">paypal.com</a>')?.misleadingText).toBe("paypal.com");
  });

  it("accepts text naming the same site, a parent domain or www", () => {
    for (const text of ["https://www.example.com/a", "example.com", "shop.example.com/deals"]) {
      const html = `<a href="https://shop.example.com/deals">${text}</a>`;
      expect(describeLink("https://shop.example.com/deals", html)?.misleadingText, text).toBeNull();
    }
  });

  it("shows an internationalised host in punycode, so look-alikes show", () => {
    const target = describeLink("https://xn--pypal-4ve.com/", '<a href="https://xn--pypal-4ve.com/">paypal.com</a>');
    expect(target?.destination).toBe("xn--pypal-4ve.com");
    expect(target?.misleadingText).toBe("paypal.com");
  });

  it("checks mail links against the address they show", () => {
    const html = '<a href="mailto:thief@evil.example">ceo@firma.cz</a><a href="mailto:jan@firma.cz">Jan</a>';
    expect(describeLink("mailto:thief@evil.example", html)).toMatchObject({
      kind: "mail",
      destination: "thief@evil.example",
      misleadingText: "ceo@firma.cz",
    });
    expect(describeLink("mailto:jan@firma.cz", html)?.misleadingText).toBeNull();
  });

  it("refuses what is not a web or mail link", () => {
    expect(describeLink("javascript:alert(1)", null)).toBeNull();
    expect(describeLink("data:text/html,x", null)).toBeNull();
    expect(describeLink("not a url", null)).toBeNull();
  });
});
